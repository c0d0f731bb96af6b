/**
 * `plat nodes`: the Swarm's servers and this Plat's dynos on each, draining
 * and activating one, and the command that adds a worker. Only with
 * PLAT_RUNTIME=swarm; the routes check that the user is an admin.
 */
import { PlatError, type SwarmNode } from '@plat/core';
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

export async function nodeJoinCommand(platform: Platform): Promise<{ command: string }> {
  return { command: await nodesOf(platform).joinCommand() };
}
