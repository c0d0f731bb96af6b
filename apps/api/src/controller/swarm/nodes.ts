/**
 * The Swarm's nodes as Docker's manager API shows them (`docker node ls`),
 * with this Plat's dynos counted per node; draining and activating one; the
 * command that joins a new server as a worker. Only a manager can answer:
 * platd runs on one.
 */
import Docker from 'dockerode';
import { ADDON_LABELS, instanceFilter, PlatError } from '@plat/core';
import { statusOf } from '../docker-errors.js';

export type NodeAvailability = 'active' | 'pause' | 'drain';

export interface ObservedNode {
  id: string;
  hostname: string;
  role: 'manager' | 'worker';
  /** Swarm's node state: ready, down, disconnected, unknown. */
  state: string;
  availability: NodeAvailability;
  address: string;
  leader: boolean;
  engineVersion: string;
  /** This instance's Swarm tasks meant to run there. */
  dynos: number;
}

/** What the nodes service asks of a swarm; testing/fake-nodes.ts keeps the same promises in memory. */
export interface Nodes {
  /** Managers first (the leader before the others), then by hostname. */
  list(): Promise<ObservedNode[]>;
  /** By id, hostname or a unique start of the id; not_found when none matches. Resolves with the node after. */
  setAvailability(node: string, availability: 'drain' | 'active'): Promise<ObservedNode>;
  /** `docker swarm join --token SWMTKN-... MANAGER:2377`. */
  joinCommand(): Promise<string>;
  /**
   * The node whose Engine platd talks to: a manager, where add-on containers
   * and their volumes are (they are containers, not Swarm services).
   */
  self(): Promise<ObservedNode>;
}

/** The parts of Docker's node object read here (GET /nodes). */
interface DockerNode {
  ID: string;
  Version: { Index: number };
  Spec: { Role?: string; Availability?: string; Labels?: Record<string, string>; Name?: string };
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Status?: { State?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

interface DockerTask {
  NodeID?: string;
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
}

/** Updates race with the swarm's own (a node's status changes its version): a few tries. */
const UPDATE_TRIES = 3;

export class SwarmNodes implements Nodes {
  readonly #docker: Docker;
  readonly #instance: string;

  constructor(options: { instance: string; docker?: Docker }) {
    this.#instance = options.instance;
    this.#docker = options.docker ?? new Docker();
  }

  async list(): Promise<ObservedNode[]> {
    const [nodes, tasks] = await swarmCall(() =>
      Promise.all([
        this.#docker.listNodes() as Promise<DockerNode[]>,
        this.#docker.listTasks({
          filters: { label: [instanceFilter(this.#instance)], 'desired-state': ['running'] },
        }) as Promise<DockerTask[]>,
      ]),
    );
    const dynos = new Map<string, number>();
    for (const task of tasks) {
      // Unplaced tasks (no node fits, or all are drained) run nowhere yet; add-ons are not dynos.
      if (!task.NodeID || task.Spec?.ContainerSpec?.Labels?.[ADDON_LABELS.name]) continue;
      dynos.set(task.NodeID, (dynos.get(task.NodeID) ?? 0) + 1);
    }
    return nodes.map((node) => observed(node, dynos.get(node.ID) ?? 0)).sort(byRole);
  }

  async setAvailability(which: string, availability: 'drain' | 'active'): Promise<ObservedNode> {
    const id = resolveNode(await this.list(), which).id;
    const handle = this.#docker.getNode(id);
    for (let attempt = 1; ; attempt += 1) {
      // The update must name the version it changes: read it just before.
      const node = (await swarmCall(() => handle.inspect())) as DockerNode;
      if (node.Spec.Availability === availability) break;
      try {
        await swarmCall(() =>
          handle.update({
            _query: { version: node.Version.Index },
            _body: { ...node.Spec, Availability: availability },
          }),
        );
        break;
      } catch (error) {
        if (attempt >= UPDATE_TRIES || !/out of sequence/i.test(dockerMessage(error))) throw error;
      }
    }
    const after = (await this.list()).find((node) => node.id === id);
    if (!after) throw new PlatError('not_found', `Node ${which} left the swarm.`);
    return after;
  }

  async self(): Promise<ObservedNode> {
    const info = (await swarmCall(() => this.#docker.info())) as { Swarm?: { NodeID?: string } };
    const id = info.Swarm?.NodeID;
    const node = id ? (await this.list()).find((listed) => listed.id === id) : undefined;
    if (!node) throw new PlatError('conflict', 'This Docker Engine is not a node of a swarm.');
    return node;
  }

  async joinCommand(): Promise<string> {
    const [swarm, info, nodes] = await swarmCall(() =>
      Promise.all([
        this.#docker.swarmInspect() as Promise<{ JoinTokens?: { Worker?: string } }>,
        this.#docker.info() as Promise<{ Swarm?: { NodeID?: string } }>,
        this.#docker.listNodes() as Promise<DockerNode[]>,
      ]),
    );
    const token = swarm.JoinTokens?.Worker;
    // Workers join through a manager's swarm address: this one's, else the leader's.
    const manager =
      nodes.find((node) => node.ID === info.Swarm?.NodeID && node.ManagerStatus?.Addr) ??
      nodes.find((node) => node.ManagerStatus?.Leader);
    const address = manager?.ManagerStatus?.Addr;
    if (!token || !address) throw new PlatError('unavailable', 'The swarm did not say its worker token or address.');
    return `docker swarm join --token ${token} ${address}`;
  }
}

function observed(node: DockerNode, dynos: number): ObservedNode {
  const status = node.Status?.Addr;
  // A manager may report 0.0.0.0 as its address; its swarm address is the real one.
  const address =
    status && status !== '0.0.0.0' ? status : (node.ManagerStatus?.Addr?.replace(/:\d+$/, '') ?? status ?? '');
  return {
    id: node.ID,
    hostname: node.Description?.Hostname ?? '',
    role: node.Spec.Role === 'manager' ? 'manager' : 'worker',
    state: node.Status?.State ?? 'unknown',
    availability: (['active', 'pause', 'drain'] as const).find((a) => a === node.Spec.Availability) ?? 'active',
    address,
    leader: node.ManagerStatus?.Leader === true,
    engineVersion: node.Description?.Engine?.EngineVersion ?? '',
    dynos,
  };
}

function byRole(a: ObservedNode, b: ObservedNode): number {
  const rank = (node: ObservedNode) => (node.leader ? 0 : node.role === 'manager' ? 1 : 2);
  return rank(a) - rank(b) || a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id);
}

/**
 * The node a user names, as `docker node` finds it: its id, its hostname, or
 * a unique start of its id. A hostname twice (a server that left and joined
 * again) must be named by id.
 */
export function resolveNode<T extends { id: string; hostname: string }>(nodes: T[], which: string): T {
  const byId = nodes.find((node) => node.id === which);
  if (byId) return byId;
  const named = nodes.filter((node) => node.hostname === which);
  const matches = named.length > 0 ? named : nodes.filter((node) => node.id.startsWith(which));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0)
    throw new PlatError('not_found', `Couldn't find node ${which} in the swarm (plat nodes lists them).`);
  throw new PlatError(
    'invalid_params',
    `${which} names ${matches.length} nodes: use one's id (${matches.map((node) => node.id).join(', ')}).`,
  );
}

function dockerMessage(error: unknown): string {
  const json = (error as { json?: { message?: string } } | undefined)?.json;
  return json?.message ?? (error instanceof Error ? error.message : String(error));
}

/** Docker's answers as the catalogue's: no swarm here is a conflict with the setup, no Docker is unavailable. */
async function swarmCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof PlatError) throw error;
    const status = statusOf(error);
    const message = dockerMessage(error);
    if ((status === 503 || status === 406) && /swarm/i.test(message))
      throw new PlatError(
        'conflict',
        'This Docker Engine is not a swarm manager: run `docker swarm init` on it (platd runs on a manager).',
        { cause: error },
      );
    if (status === 404) throw new PlatError('not_found', `Couldn't find that node in the swarm: ${message}`);
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ENOENT' || code === 'EACCES')
      throw new PlatError('unavailable', `Docker Engine is unreachable (${code}).`, { cause: error });
    throw error;
  }
}
