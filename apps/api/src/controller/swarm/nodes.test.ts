/**
 * SwarmNodes over a stand-in for dockerode: what it reads from Docker's node
 * and task objects, what it sends to update a node, and how Docker's
 * refusals become the catalogue's errors. The real swarm is test/swarm-nodes.test.ts.
 */
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { SwarmNodes } from './nodes.js';

const MANAGER = {
  ID: 'm1',
  Version: { Index: 17 },
  Spec: { Role: 'manager', Availability: 'active', Labels: { zone: 'a' } },
  Description: { Hostname: 'node-a', Engine: { EngineVersion: '20.10.24' } },
  // Managers may report 0.0.0.0: the swarm address is the one to show.
  Status: { State: 'ready', Addr: '0.0.0.0' },
  ManagerStatus: { Leader: true, Reachability: 'reachable', Addr: '192.168.1.10:2377' },
};
const WORKER = {
  ID: 'w2',
  Version: { Index: 20 },
  Spec: { Role: 'worker', Availability: 'drain' },
  Description: { Hostname: 'node-b', Engine: { EngineVersion: '24.0.5' } },
  Status: { State: 'down', Addr: '192.168.1.11' },
};

function dockerError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
}

/** A dockerode with the swarm calls SwarmNodes makes; `calls` records what it was asked. */
function stubDocker(options: { fail?: Error; updateFailures?: Error[] } = {}) {
  const calls: unknown[] = [];
  const nodes = [structuredClone(WORKER), structuredClone(MANAGER)];
  /** Docker's answer, or the failure every call meets. */
  const answer = async <T>(value: () => T): Promise<T> => {
    if (options.fail) throw options.fail;
    return value();
  };
  const docker = {
    listNodes: () => answer(() => nodes),
    listTasks: (query: unknown) =>
      answer(() => {
        calls.push({ listTasks: query });
        const addon = { ContainerSpec: { Labels: { 'plat.instance': 'i1', 'plat.addon': 'redis-1' } } };
        return [{ NodeID: 'm1' }, { NodeID: 'm1' }, { NodeID: 'w2' }, { NodeID: '' }, { NodeID: 'w2', Spec: addon }];
      }),
    getNode: (id: string) => ({
      inspect: () => answer(() => structuredClone(nodes.find((node) => node.ID === id))),
      update: async (body: { _query: { version: number }; _body: { Availability: string } }) => {
        calls.push({ update: id, ...body });
        const failure = options.updateFailures?.shift();
        if (failure) throw failure;
        const node = nodes.find((n) => n.ID === id)!;
        node.Spec = body._body as typeof node.Spec;
        node.Version.Index += 1;
        return '';
      },
    }),
    swarmInspect: () => answer(() => ({ JoinTokens: { Worker: 'SWMTKN-1-abc-def', Manager: 'SWMTKN-1-m' } })),
    info: () => answer(() => ({ Swarm: { NodeID: 'm1' } })),
  };
  return { calls, nodes: new SwarmNodes({ instance: 'i1', docker: docker as unknown as Docker }) };
}

describe('SwarmNodes', () => {
  it("lists managers first with their swarm address, and counts this instance's dyno tasks per node", async () => {
    const { nodes, calls } = stubDocker();
    expect(await nodes.list()).toEqual([
      {
        id: 'm1',
        hostname: 'node-a',
        role: 'manager',
        state: 'ready',
        availability: 'active',
        address: '192.168.1.10',
        leader: true,
        engineVersion: '20.10.24',
        dynos: 2,
      },
      {
        id: 'w2',
        hostname: 'node-b',
        role: 'worker',
        state: 'down',
        availability: 'drain',
        address: '192.168.1.11',
        leader: false,
        engineVersion: '24.0.5',
        dynos: 1,
      },
    ]);
    expect(calls).toEqual([{ listTasks: { filters: { label: ['plat.instance=i1'], 'desired-state': ['running'] } } }]);
  });

  it("updates a node's spec at the version it read, keeping the rest of the spec", async () => {
    const { nodes, calls } = stubDocker();
    const drained = await nodes.setAvailability('node-a', 'drain');
    expect(drained).toMatchObject({ id: 'm1', availability: 'drain' });
    expect(calls).toContainEqual({
      update: 'm1',
      _query: { version: 17 },
      _body: { Role: 'manager', Availability: 'drain', Labels: { zone: 'a' } },
    });
  });

  it('leaves a node that already has the availability as it is', async () => {
    const { nodes, calls } = stubDocker();
    expect(await nodes.setAvailability('w2', 'drain')).toMatchObject({ availability: 'drain' });
    expect(calls.filter((call) => 'update' in (call as object))).toEqual([]);
  });

  it('tries again when the swarm changed the node between the read and the update', async () => {
    const { nodes, calls } = stubDocker({
      updateFailures: [dockerError(500, 'rpc error: code = Unknown desc = update out of sequence')],
    });
    expect(await nodes.setAvailability('node-b', 'active')).toMatchObject({ availability: 'active' });
    expect(calls.filter((call) => 'update' in (call as object))).toHaveLength(2);
  });

  it('names an unknown node as not_found', async () => {
    const { nodes } = stubDocker();
    await expect(nodes.setAvailability('node-z', 'drain')).rejects.toMatchObject({ id: 'not_found' });
  });

  it('makes the join command from the worker token and this manager’s swarm address', async () => {
    const { nodes } = stubDocker();
    expect(await nodes.joinCommand()).toBe('docker swarm join --token SWMTKN-1-abc-def 192.168.1.10:2377');
  });

  it('says conflict on an Engine that is no swarm manager, unavailable without Docker', async () => {
    const notManager = dockerError(503, 'This node is not a swarm manager. Use "docker swarm init" ...');
    await expect(stubDocker({ fail: notManager }).nodes.list()).rejects.toMatchObject({
      id: 'conflict',
      message: expect.stringContaining('docker swarm init'),
    });
    const refused = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' });
    await expect(stubDocker({ fail: refused }).nodes.joinCommand()).rejects.toMatchObject({ id: 'unavailable' });
  });
});
