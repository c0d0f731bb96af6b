/**
 * `GET /v1/nodes/join-command` with a registry off loopback (fastify inject
 * over the in-memory runtime and a fake swarm): the answer carries the
 * registry's trust script (Runtime.registryTrust: PlatRegistry.nodeTrustScript,
 * rendered and unit-tested in registry-config.ts) next to the join command,
 * and platd's log names the admin it was given to; with a loopback registry
 * or none, the join command alone.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../../admin-token.js';
import type { Platform } from '../../platform.js';
import { useNodes } from '../../services/nodes.js';
import { backends } from '../../testing/backends.js';
import { FAKE_JOIN_TOKEN, FakeNodes } from '../../testing/fake-nodes.js';
import { startFakePlatform, type FakePlatform } from '../../testing/fake-platform.js';
import { buildServer } from '../server.js';

const SCRIPT = "mkdir -p '/etc/docker/certs.d/10.0.0.1:5000'\n";
let fake: FakePlatform;
const servers: FastifyInstance[] = [];
let admin: string;

/** platd's log lines of the servers below. */
const logged: string[] = [];

/** The fake platform whose runtime hands out this trust script (as SwarmRuntime.registryTrust), or none. */
async function serverWith(registryTrust: (() => string) | undefined): Promise<FastifyInstance> {
  const runtime = Object.assign(Object.create(fake.runtime) as Platform['runtime'], { registryTrust });
  const platform: Platform = { ...fake.platform, runtime, log: (line) => logged.push(line) };
  useNodes(platform, new FakeNodes());
  const server = await buildServer(platform);
  servers.push(server);
  return server;
}

async function joinCommand(server: FastifyInstance): Promise<Record<string, unknown>> {
  const answer = await server.inject({
    method: 'GET',
    url: '/v1/nodes/join-command',
    headers: { authorization: `Bearer ${admin}` },
  });
  expect(answer.statusCode, answer.body).toBe(200);
  return answer.json();
}

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { runtime: 'swarm' });
  ({ token: admin } = await ensureAdminToken(fake.platform.sql, fake.platform.settings.dataDir));
});
afterAll(async () => {
  for (const server of servers) await server.close();
  await fake?.close();
});

describe('the join command and the registry', () => {
  it("carries the registry's trust script when the registry is over mutual TLS, logging who got it", async () => {
    logged.length = 0;
    const answer = await joinCommand(await serverWith(() => SCRIPT));
    expect(answer).toEqual({
      command: `docker swarm join --token ${FAKE_JOIN_TOKEN} 10.0.0.2:2377`,
      registry_trust: SCRIPT,
    });
    // The client key may push and delete in the registry: each hand-out names the admin.
    expect(logged).toEqual([
      expect.stringMatching(/^nodes: \S+@\S+ was given the join command and the registry's client key$/),
    ]);
  });

  it('is the join command alone with a loopback registry, or none', async () => {
    logged.length = 0;
    for (const registryTrust of [() => '', undefined])
      expect(Object.keys(await joinCommand(await serverWith(registryTrust)))).toEqual(['command']);
    expect(logged).toEqual([
      expect.stringMatching(/was given the join command$/),
      expect.stringMatching(/was given the join command$/),
    ]);
  });
});
