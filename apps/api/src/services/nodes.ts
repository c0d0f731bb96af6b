/**
 * `plat nodes`: the Swarm's servers and this Plat's dynos on each, draining
 * and activating one, and the command that adds a worker. Only with
 * PLAT_RUNTIME=swarm; the routes check that the user is an admin.
 */
import { type NodeJoinCommand, PlatError, type SwarmNode } from '@plat/core';
import { type Nodes, type ObservedNode, SwarmNodes } from '../controller/swarm/nodes.js';
import type { Platform } from '../platform.js';
import type { User } from '../store/users.js';

/**
 * Each platform's nodes: made from its settings on first use, or given by
 * useNodes (tests give a fake). Platform has no field for them while only
 * these routes need them.
 */
const nodesByPlatform = new WeakMap<Platform, Nodes>();

export function useNodes(platform: Platform, nodes: Nodes): void {
  nodesByPlatform.set(platform, nodes);
  // What the nodes given before said is not these nodes' answer.
  selfByPlatform.delete(platform);
}

export const NOT_SWARM_MESSAGE =
  'Nodes exist only with PLAT_RUNTIME=swarm: this platd runs dynos on one Docker Engine.';

function nodesOf(platform: Platform): Nodes {
  if (platform.settings.runtime !== 'swarm') throw new PlatError('conflict', NOT_SWARM_MESSAGE);
  let nodes = nodesByPlatform.get(platform);
  if (!nodes) {
    nodes = new SwarmNodes({ instance: platform.settings.instance });
    nodesByPlatform.set(platform, nodes);
  }
  return nodes;
}

function shown(node: ObservedNode): SwarmNode {
  const { engineVersion, ...rest } = node;
  return { ...rest, engine_version: engineVersion };
}

export async function listNodes(platform: Platform): Promise<SwarmNode[]> {
  return (await nodesOf(platform).list()).map(shown);
}

/** drain: Swarm moves the node's dynos elsewhere and places none there; active: it may again. */
export async function setNodeAvailability(
  platform: Platform,
  user: User,
  node: string,
  availability: 'drain' | 'active',
): Promise<SwarmNode> {
  const changed = await nodesOf(platform).setAvailability(node, availability);
  platform.log(`nodes: ${user.email} set ${changed.hostname} (${changed.id}) to ${availability}`);
  return shown(changed);
}

/**
 * The join command, and with a registry over mutual TLS the files a node
 * needs to pull from it. Those carry platd's own registry client key (push
 * and delete rights): each hand-out is logged with the admin who asked.
 */
export async function nodeJoinCommand(platform: Platform, user: User): Promise<NodeJoinCommand> {
  const command = await nodesOf(platform).joinCommand();
  // Only a registry over mutual TLS has files to hand out; on loopback no other node reaches it anyway.
  const trust = platform.runtime.registryTrust?.() ?? '';
  platform.log(
    trust
      ? `nodes: ${user.email} was given the join command and the registry's client key`
      : `nodes: ${user.email} was given the join command`,
  );
  return { command, ...(trust ? { registry_trust: trust } : {}) };
}

/**
 * platd's node, per platform: add-on listings ask once per add-on, at once.
 * The answer (or the question in flight) is kept 30 s, a failure 5 s, so a
 * swarm that errors is asked once per listing, not once per add-on.
 */
const selfByPlatform = new WeakMap<Platform, { hostname: Promise<string | undefined>; until: number }>();
const SELF_TTL_MS = 30_000;
const SELF_FAILED_TTL_MS = 5_000;

/**
 * Where an add-on's container runs with PLAT_RUNTIME=swarm: the hostname of
 * the manager platd runs on (add-on containers are this Engine's containers,
 * not Swarm services, so they and their data volumes stay on it).
 * Undefined on one Docker Engine, or when the swarm cannot say now: an
 * add-on's info must not fail for it.
 */
export async function addonNode(platform: Platform): Promise<string | undefined> {
  if (platform.settings.runtime !== 'swarm') return undefined;
  const cached = selfByPlatform.get(platform);
  if (cached && Date.now() < cached.until) return cached.hostname;
  // Kept while in flight: the add-ons of one listing ask together.
  const entry = { hostname: Promise.resolve<string | undefined>(undefined), until: Number.POSITIVE_INFINITY };
  entry.hostname = Promise.resolve()
    .then(() => nodesOf(platform).self())
    .then(
      ({ hostname }) => {
        entry.until = Date.now() + SELF_TTL_MS;
        return hostname;
      },
      () => {
        entry.until = Date.now() + SELF_FAILED_TTL_MS;
        return undefined;
      },
    );
  selfByPlatform.set(platform, entry);
  return entry.hostname;
}
