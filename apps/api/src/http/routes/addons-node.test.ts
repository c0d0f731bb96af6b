/**
 * Where an add-on runs, in its info (fastify inject over the in-memory
 * runtime and a fake swarm): with PLAT_RUNTIME=swarm, the hostname of the
 * manager platd runs on, for add-ons with a container; nothing for the
 * scheduler (inside platd), nothing on one Docker Engine, and the info
 * still answers when the swarm cannot say (asked once, not per add-on). No Docker: the add-ons are
 * rows still provisioning, whose state is read from the row.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureAdminToken } from '../../admin-token.js';
import { useNodes } from '../../services/nodes.js';
import { reserveAddon } from '../../store/addons.js';
import { backends } from '../../testing/backends.js';
import { FakeNodes, fakeNode } from '../../testing/fake-nodes.js';
import { startFakePlatform, type FakePlatform } from '../../testing/fake-platform.js';
import { buildServer } from '../server.js';

let fake: FakePlatform;
let server: FastifyInstance;
/** The same platform with PLAT_RUNTIME=docker. */
let dockerServer: FastifyInstance;
let admin: string;
const nodes = new FakeNodes([
  fakeNode({ id: 'bbbb2222worker', hostname: 'node-b', address: '10.0.0.3' }),
  fakeNode({ id: 'aaaa1111manager', hostname: 'node-a', role: 'manager', leader: true }),
]);

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { runtime: 'swarm' });
  useNodes(fake.platform, nodes);
  server = await buildServer(fake.platform);
  dockerServer = await buildServer({ ...fake.platform, settings: { ...fake.platform.settings, runtime: 'docker' } });
  ({ token: admin } = await ensureAdminToken(fake.platform.sql, fake.platform.settings.dataDir));
  const created = await server.inject({
    method: 'POST',
    url: '/v1/apps',
    headers: { authorization: `Bearer ${admin}` },
    payload: { name: 'placed' },
  });
  expect(created.statusCode, created.body).toBe(201);
  // Provisioning rows: their info reads no container, so no Docker is asked.
  const base = { app_id: created.json().id as string, credentials: { password: 'x' }, state: 'provisioning' as const };
  await reserveAddon(fake.platform.sql, {
    ...base,
    name: 'postgres-placed-1',
    provider: 'postgres',
    plan: 'hobby',
    attachment: 'DATABASE',
  });
  await reserveAddon(fake.platform.sql, {
    ...base,
    name: 'scheduler-placed-1',
    provider: 'scheduler',
    plan: 'standard',
    attachment: 'SCHEDULER',
  });
});
afterAll(async () => {
  await dockerServer?.close();
  await server?.close();
  await fake?.close();
});

async function info(addon: string, on = server): Promise<Record<string, unknown>> {
  const answer = await on.inject({
    method: 'GET',
    url: `/v1/apps/placed/addons/${addon}`,
    headers: { authorization: `Bearer ${admin}` },
  });
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.json();
}

describe("an add-on's node", () => {
  // First: a node once read is kept for 30 s.
  it('is left out, the info still answering, when the swarm cannot say; the failure is kept briefly', async () => {
    nodes.notInSwarm = true;
    const asked = vi.spyOn(nodes, 'self');
    try {
      expect(await info('postgres-placed-1')).not.toHaveProperty('node');
      const listed = await server.inject({
        method: 'GET',
        url: '/v1/apps/placed/addons',
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(listed.statusCode, listed.body).toBe(200);
      expect(listed.json()).toEqual(expect.arrayContaining([expect.not.objectContaining({ node: expect.anything() })]));
      // An erroring swarm is asked once, not again for the listing (kept 5 s).
      expect(asked).toHaveBeenCalledTimes(1);
    } finally {
      asked.mockRestore();
      nodes.notInSwarm = false;
      // Forgets the kept failure: the nodes given again are asked anew.
      useNodes(fake.platform, nodes);
    }
  });

  it("is the manager platd runs on, in the add-on's info and in the list", async () => {
    expect(await info('postgres-placed-1')).toMatchObject({ name: 'postgres-placed-1', node: 'node-a' });
    const listed = await server.inject({
      method: 'GET',
      url: '/v1/apps/placed/addons',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(listed.json()).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'postgres-placed-1', node: 'node-a' })]),
    );
  });

  it('is not said for the scheduler, which runs inside platd', async () => {
    expect(await info('scheduler-placed-1')).not.toHaveProperty('node');
  });

  it('is not said on one Docker Engine', async () => {
    expect(await info('postgres-placed-1', dockerServer)).not.toHaveProperty('node');
  });
});
