import type { PlatClient } from '@plat/client';
import type { SwarmNode } from '@plat/core';
import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../context.js';
import type { Output } from '../../output.js';
import { drainNode, listNodes, nodeLines, showJoinCommand } from './manage.js';

const node = (fields: Partial<SwarmNode>): SwarmNode => ({
  id: 'x',
  hostname: 'node',
  role: 'worker',
  state: 'ready',
  availability: 'active',
  address: '10.0.0.2',
  leader: false,
  engine_version: '20.10.24',
  dynos: 0,
  ...fields,
});
const NODES = [
  node({ id: 'm1', hostname: 'node-a', role: 'manager', leader: true, dynos: 3 }),
  node({ id: 'w2', hostname: 'node-b', availability: 'drain', state: 'down' }),
];

/** Runs a command against a client with these nodes methods; its stdout and stderr lines. */
async function run(nodes: Partial<PlatClient['nodes']>, command: (context: CommandContext) => Promise<void>) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (line) => out.push(line), err: (line) => err.push(line), isConsole: false };
  const client = { nodes } as unknown as PlatClient;
  await command({ cwd: '/', env: {}, output, client: () => client } as CommandContext);
  return { out, err };
}

describe('nodes commands', () => {
  it('list nodes as a table with the leader marked', () => {
    expect(nodeLines(NODES)).toEqual([
      'Host    Role              State  Availability  Dynos',
      '──────  ────────────────  ─────  ────────────  ─────',
      'node-a  manager (leader)  ready  active        3',
      'node-b  worker            down   drain         0',
    ]);
  });

  it('print the API answer for --json', async () => {
    const { out } = await run({ list: async () => NODES }, (context) => listNodes({ json: true }, context));
    expect(JSON.parse(out.join('\n'))).toEqual(NODES);
  });

  it('drain a node, saying so on stderr and what follows on stdout', async () => {
    const asked: string[] = [];
    const drain = async (name: string) => {
      asked.push(name);
      return { ...NODES[0]!, availability: 'drain' as const };
    };
    const { out, err } = await run({ drain, list: async () => NODES }, (context) => drainNode('node-a', {}, context));
    expect(asked).toEqual(['node-a']);
    expect(err).toEqual(['Draining node-a... done (node-a: drain)']);
    expect(out).toEqual([
      'No other node is active and ready: its dynos are stopped and wait for one.',
      'plat nodes:activate node-a takes it back; plat nodes:join-command adds a worker.',
    ]);
    const ready = [...NODES, node({ id: 'w3', hostname: 'node-c' })];
    const moved = await run({ drain, list: async () => ready }, (context) => drainNode('node-a', {}, context));
    expect(moved.out).toEqual([
      'Swarm moves its dynos to the other nodes (plat nodes shows them); plat nodes:activate node-a takes it back.',
    ]);
    const json = await run({ drain }, (context) => drainNode('node-a', { json: true }, context));
    expect(JSON.parse(json.out.join('\n'))).toMatchObject({ id: 'm1', availability: 'drain' });
  });

  it('print the join command alone, for scripts', async () => {
    const command = 'docker swarm join --token SWMTKN-1-abc 10.0.0.2:2377';
    const { out } = await run({ joinCommand: async () => ({ command }) }, (context) => showJoinCommand({}, context));
    expect(out).toEqual([command]);
  });

  it("print the registry's trust files before the join, when the registry is off loopback", async () => {
    const command = 'docker swarm join --token SWMTKN-1-abc 10.0.0.2:2377';
    const registry_trust = "mkdir -p '/etc/docker/certs.d/10.0.0.2:5000'\n";
    const { out } = await run({ joinCommand: async () => ({ command, registry_trust }) }, (context) =>
      showJoinCommand({}, context),
    );
    expect(out.slice(1)).toEqual(["mkdir -p '/etc/docker/certs.d/10.0.0.2:5000'", command]);
    expect(out[0]).toMatch(/^# /);
  });
});
