/**
 * A swarm's nodes in memory, for route tests: the same promises as
 * SwarmNodes (controller/swarm/nodes.ts) without Docker. `notInSwarm`
 * makes every call fail as an Engine outside a swarm does.
 */
import { PlatError } from '@plat/core';
import { type Nodes, type ObservedNode, resolveNode } from '../controller/swarm/nodes.js';

export const FAKE_JOIN_TOKEN = 'SWMTKN-1-fake0token0for0tests-worker0part';

export function fakeNode(fields: Partial<ObservedNode> & Pick<ObservedNode, 'id' | 'hostname'>): ObservedNode {
  return {
    role: 'worker',
    state: 'ready',
    availability: 'active',
    address: '10.0.0.2',
    leader: false,
    engineVersion: '20.10.24',
    dynos: 0,
    ...fields,
  };
}

export class FakeNodes implements Nodes {
  readonly nodes: ObservedNode[];
  /** Every availability change, in order: `drain node-b`. */
  readonly journal: string[] = [];
  notInSwarm = false;

  constructor(nodes?: ObservedNode[]) {
    this.nodes = nodes ?? [
      fakeNode({ id: 'm1anager0000000000000000a', hostname: 'node-a', role: 'manager', leader: true, dynos: 2 }),
      fakeNode({ id: 'w0rker00000000000000000b', hostname: 'node-b', address: '10.0.0.3', dynos: 1 }),
    ];
  }

  async list(): Promise<ObservedNode[]> {
    this.#check();
    return this.nodes.map((node) => ({ ...node }));
  }

  async setAvailability(which: string, availability: 'drain' | 'active'): Promise<ObservedNode> {
    this.#check();
    const node = resolveNode(this.nodes, which);
    node.availability = availability;
    this.journal.push(`${availability} ${node.hostname}`);
    return { ...node };
  }

  async joinCommand(): Promise<string> {
    this.#check();
    const manager = this.nodes.find((node) => node.leader);
    return `docker swarm join --token ${FAKE_JOIN_TOKEN} ${manager?.address ?? '10.0.0.1'}:2377`;
  }

  /** The leader: platd runs on it. */
  async self(): Promise<ObservedNode> {
    this.#check();
    const leader = this.nodes.find((node) => node.leader) ?? this.nodes[0]!;
    return { ...leader };
  }

  #check(): void {
    if (this.notInSwarm) throw new PlatError('conflict', 'This Docker Engine is not a swarm manager.');
  }
}
