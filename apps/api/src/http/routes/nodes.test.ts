/**
 * The nodes routes over the in-memory runtime and a fake swarm (fastify
 * inject): admins only, 409 without PLAT_RUNTIME=swarm or without a swarm,
 * nodes named by hostname or id, 404 for one that is not there.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../../admin-token.js';
import { NOT_SWARM_MESSAGE, useNodes } from '../../services/nodes.js';
import { createTokenRow, ensureUser } from '../../store/users.js';
import { backends } from '../../testing/backends.js';
import { FAKE_JOIN_TOKEN, FakeNodes, fakeNode } from '../../testing/fake-nodes.js';
import { startFakePlatform, type FakePlatform } from '../../testing/fake-platform.js';
import { buildServer } from '../server.js';

let fake: FakePlatform;
let server: FastifyInstance;
/** The same platform with PLAT_RUNTIME=docker. */
let dockerServer: FastifyInstance;
let admin: string;
let mallory: string;
const nodes = new FakeNodes([
  fakeNode({ id: 'aaaa1111manager', hostname: 'node-a', role: 'manager', leader: true, dynos: 2 }),
  fakeNode({ id: 'bbbb2222worker', hostname: 'node-b', address: '10.0.0.3', dynos: 1 }),
  // A server that left and joined again: its hostname names two nodes.
  fakeNode({ id: 'cccc3333old', hostname: 'node-c', state: 'down' }),
  fakeNode({ id: 'dddd4444new', hostname: 'node-c', address: '10.0.0.4' }),
]);

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { runtime: 'swarm' });
  useNodes(fake.platform, nodes);
  server = await buildServer(fake.platform);
  dockerServer = await buildServer({ ...fake.platform, settings: { ...fake.platform.settings, runtime: 'docker' } });
  ({ token: admin } = await ensureAdminToken(fake.platform.sql, fake.platform.settings.dataDir));
  const user = await ensureUser(fake.platform.sql, 'mallory@example.com', false);
  ({ token: mallory } = await createTokenRow(fake.platform.sql, user.id, { description: 'test' }));
});
afterAll(async () => {
  await dockerServer?.close();
  await server?.close();
  await fake?.close();
});

const call = (method: 'GET' | 'POST', url: string, token = admin, on = server) =>
  on.inject({ method, url, headers: { authorization: `Bearer ${token}` } });

const ROUTES = [
  ['GET', '/v1/nodes'],
  ['GET', '/v1/nodes/join-command'],
  ['POST', '/v1/nodes/node-b/actions/drain'],
  ['POST', '/v1/nodes/node-b/actions/activate'],
] as const;

describe('the nodes routes', () => {
  it('list the nodes with their role, state, availability, address, leader and dynos', async () => {
    const answer = await call('GET', '/v1/nodes');
    expect(answer.statusCode).toBe(200);
    expect(answer.json()[0]).toEqual({
      id: 'aaaa1111manager',
      hostname: 'node-a',
      role: 'manager',
      state: 'ready',
      availability: 'active',
      address: '10.0.0.2',
      leader: true,
      engine_version: '20.10.24',
      dynos: 2,
    });
    expect(answer.json().map((node: { hostname: string }) => node.hostname)).toEqual([
      'node-a',
      'node-b',
      'node-c',
      'node-c',
    ]);
  });

  it('drain a node named by hostname and activate it by the start of its id', async () => {
    const drained = await call('POST', '/v1/nodes/node-b/actions/drain');
    expect(drained.statusCode).toBe(200);
    expect(drained.json()).toMatchObject({ id: 'bbbb2222worker', hostname: 'node-b', availability: 'drain' });
    const listed = (await call('GET', '/v1/nodes')).json() as { hostname: string; availability: string }[];
    expect(listed.find((node) => node.hostname === 'node-b')?.availability).toBe('drain');

    const activated = await call('POST', '/v1/nodes/bbbb/actions/activate');
    expect(activated.statusCode).toBe(200);
    expect(activated.json()).toMatchObject({ hostname: 'node-b', availability: 'active' });
    expect(nodes.journal).toEqual(['drain node-b', 'active node-b']);
  });

  it('say not_found for a node the swarm does not have', async () => {
    const answer = await call('POST', '/v1/nodes/node-z/actions/drain');
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toEqual({ id: 'not_found', message: expect.stringContaining("Couldn't find node node-z") });
  });

  it('ask for an id when a hostname names two nodes, and take the id', async () => {
    const answer = await call('POST', '/v1/nodes/node-c/actions/drain');
    expect(answer.statusCode).toBe(422);
    expect(answer.json().message).toContain('cccc3333old, dddd4444new');
    const byId = await call('POST', '/v1/nodes/dddd4444new/actions/drain');
    expect(byId.json()).toMatchObject({ id: 'dddd4444new', availability: 'drain' });
  });

  it('refuse a node name that is no hostname or id', async () => {
    const answer = await call('POST', `/v1/nodes/${encodeURIComponent('a b')}/actions/drain`);
    expect(answer.statusCode).toBe(422);
    expect(answer.json().id).toBe('invalid_params');
  });

  it('give the worker join command', async () => {
    const answer = await call('GET', '/v1/nodes/join-command');
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ command: `docker swarm join --token ${FAKE_JOIN_TOKEN} 10.0.0.2:2377` });
  });

  it.each(ROUTES)('%s %s is for admins only', async (method, url) => {
    const answer = await call(method, url, mallory);
    expect(answer.statusCode).toBe(403);
    expect(answer.json().id).toBe('forbidden');
  });

  it.each(ROUTES)('%s %s is a conflict without PLAT_RUNTIME=swarm', async (method, url) => {
    const answer = await call(method, url, admin, dockerServer);
    expect(answer.statusCode).toBe(409);
    expect(answer.json()).toEqual({ id: 'conflict', message: NOT_SWARM_MESSAGE });
  });

  it('is a conflict when the Engine is in no swarm', async () => {
    nodes.notInSwarm = true;
    try {
      const answer = await call('GET', '/v1/nodes');
      expect(answer.statusCode).toBe(409);
      expect(answer.json().message).toContain('not a swarm manager');
    } finally {
      nodes.notInSwarm = false;
    }
  });

  it('are in the OpenAPI document', async () => {
    const paths = Object.keys((await server.inject({ method: 'GET', url: '/v1/openapi.json' })).json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/v1/nodes',
        '/v1/nodes/join-command',
        '/v1/nodes/{node}/actions/drain',
        '/v1/nodes/{node}/actions/activate',
      ]),
    );
  });
});
