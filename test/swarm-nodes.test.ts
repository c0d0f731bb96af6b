/**
 * `plat nodes` on a real single-node swarm, through the API (fastify
 * inject) down to the Docker Engine: the node is a ready, active manager and
 * the leader; a Swarm task labelled with this platd's instance counts as a
 * dyno on it; drain sends the task off (none left on the node), activate
 * takes it back; the join command carries a worker token. Needs Docker:
 * run under `flock /tmp/plat-docker.lock`.
 *
 * The swarm is support/swarm.ts's: with none here, one made on loopback
 * and left afterwards, even on failure; a swarm found here (another
 * test's, or the operator's) stays, and its node ends active again.
 */
import Docker from 'dockerode';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../apps/api/src/admin-token.js';
import { buildServer } from '../apps/api/src/http/server.js';
import { reserveAddon } from '../apps/api/src/store/addons.js';
import { backends } from '../apps/api/src/testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../apps/api/src/testing/fake-platform.js';
import { withSingleNodeSwarm } from './support/swarm.js';
import { until } from './support/until.js';

const docker = new Docker();
/** Undone in reverse order in afterAll, whatever failed before. */
const cleanups: (() => Promise<unknown>)[] = [];
let fake: FakePlatform;
let server: FastifyInstance;
let token: string;
/** This Engine's node in the swarm. */
let self: { id: string; hostname: string; version: string };

interface ShownNode {
  id: string;
  hostname: string;
  role: string;
  state: string;
  availability: string;
  address: string;
  leader: boolean;
  engine_version: string;
  dynos: number;
}

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { runtime: 'swarm' });
  cleanups.push(() => fake.close());
  // Its cleanup removes this instance's services (the test's task) before it leaves a swarm it made.
  const swarm = await withSingleNodeSwarm(fake.platform.settings.instance);
  cleanups.push(() => swarm.cleanup());
  const info = await docker.info();
  self = { id: info.Swarm.NodeID, hostname: info.Name, version: info.ServerVersion };
  // Whatever happens below, the node ends as Swarm places tasks on it.
  cleanups.push(async () => {
    const node = docker.getNode(self.id);
    const { Version, Spec } = await node.inspect();
    if (Spec.Availability !== 'active')
      await node.update({ _query: { version: Version.Index }, _body: { ...Spec, Availability: 'active' } });
  });
  server = await buildServer(fake.platform);
  cleanups.push(() => server.close());
  ({ token } = await ensureAdminToken(fake.platform.sql, fake.platform.settings.dataDir));
});

afterAll(async () => {
  const failures: unknown[] = [];
  for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => failures.push(error));
  if (failures.length > 0) throw failures[0];
});

async function call(
  method: 'GET' | 'POST',
  url: string,
  payload?: Record<string, unknown>,
): Promise<{ status: number; body: unknown }> {
  const answer = await server.inject({
    method,
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload ? { payload } : {}),
  });
  return { status: answer.statusCode, body: answer.json() };
}

async function selfNode(): Promise<ShownNode> {
  const { status, body } = await call('GET', '/v1/nodes');
  expect(status).toBe(200);
  const node = (body as ShownNode[]).find((n) => n.id === self.id);
  if (!node) throw new Error(`node ${self.id} is not in ${JSON.stringify(body)}`);
  return node;
}

/** A Swarm service standing for a dyno: labelled with this platd's instance as the swarm runtime's are. */
async function startTask(): Promise<void> {
  const instance = fake.platform.settings.instance;
  const labels = { 'plat.instance': instance };
  await docker.createService({
    Name: `plat-${instance}-nodes-test`,
    Labels: labels,
    TaskTemplate: {
      ContainerSpec: { Image: 'plat/stack:latest', Command: ['sleep', '600'], Labels: labels, StopGracePeriod: 1e9 },
      // As dynos: a task taken off a drained node is replaced, and waits for a node to run on.
      RestartPolicy: { Condition: 'any', Delay: 100_000_000 },
    },
    Mode: { Replicated: { Replicas: 1 } },
  });
}

describe('plat nodes on a single-node swarm', () => {
  it('shows this node as the ready, active manager that leads, with no dynos yet', async () => {
    expect(await selfNode()).toMatchObject({
      hostname: self.hostname,
      role: 'manager',
      state: 'ready',
      availability: 'active',
      leader: true,
      engine_version: self.version,
      dynos: 0,
    });
  });

  it("counts this platd's running task as a dyno on the node", async () => {
    await startTask();
    await until('the task counted on the node', async () => (await selfNode()).dynos === 1, 60_000);
  });

  it('drains the node by hostname: its dyno leaves, and none is placed there', async () => {
    const { status, body } = await call('POST', `/v1/nodes/${self.hostname}/actions/drain`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: self.id, availability: 'drain' });
    expect((await docker.getNode(self.id).inspect()).Spec.Availability).toBe('drain');
    await until('the drained node to have no dyno', async () => (await selfNode()).dynos === 0, 60_000);
  });

  it('activates the node by id: Swarm places the dyno there again', async () => {
    const { status, body } = await call('POST', `/v1/nodes/${self.id}/actions/activate`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: self.id, availability: 'active' });
    expect((await docker.getNode(self.id).inspect()).Spec.Availability).toBe('active');
    await until('the dyno back on the node', async () => (await selfNode()).dynos === 1, 60_000);
  });

  it('says not_found for a node the swarm does not have', async () => {
    const { status, body } = await call('POST', '/v1/nodes/no-such-node/actions/drain');
    expect(status).toBe(404);
    expect(body).toMatchObject({ id: 'not_found' });
  });

  it('gives the command that joins a worker', async () => {
    const { status, body } = await call('GET', '/v1/nodes/join-command');
    expect(status).toBe(200);
    const { command } = body as { command: string };
    expect(command).toContain('docker swarm join --token SWMTKN-');
    expect(command).toMatch(/^docker swarm join --token SWMTKN-\S+ \S+:\d+$/);
  });

  it("says where an add-on runs: this manager's hostname, where its container and data volume are", async () => {
    const created = await call('POST', '/v1/apps', { name: 'placed' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const appId = (created.body as { id: string }).id;
    // Rows only: where an add-on runs does not depend on its container (this one has none: `missing`).
    const credentials = { password: 'x' };
    const base = { app_id: appId, plan: 'hobby', credentials, state: 'active' as const };
    await reserveAddon(fake.platform.sql, {
      ...base,
      name: 'postgres-placed-1',
      provider: 'postgres',
      attachment: 'DATABASE',
    });
    await reserveAddon(fake.platform.sql, {
      ...base,
      name: 'scheduler-placed-1',
      provider: 'scheduler',
      attachment: 'SCHEDULER',
      plan: 'standard',
    });
    const info = await call('GET', '/v1/apps/placed/addons/postgres-placed-1');
    expect(info.status, JSON.stringify(info.body)).toBe(200);
    expect(info.body).toMatchObject({ name: 'postgres-placed-1', node: self.hostname });
    // The scheduler runs inside platd: no container, no node of its own.
    const scheduler = await call('GET', '/v1/apps/placed/addons/scheduler-placed-1');
    expect(scheduler.status, JSON.stringify(scheduler.body)).toBe(200);
    expect(scheduler.body).not.toHaveProperty('node');
    const listed = await call('GET', '/v1/apps/placed/addons');
    expect(listed.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'postgres-placed-1', node: self.hostname })]),
    );
  });
});
