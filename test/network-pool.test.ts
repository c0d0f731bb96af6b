/**
 * App networks on the real Docker Engine take their subnets from
 * PLAT_NETWORK_POOL, not from Docker's default address pools (about 30
 * networks): more apps than those hold, each in a block of its own; a
 * destroyed app's block goes to the next app; a block another network holds
 * is skipped, at creation and when Docker refuses it later; a full pool
 * refuses the next app with a clear 503 and leaves no app and no network; a
 * pool other networks cover entirely stops platd at start, naming the setting.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contains, parseCidr } from '../apps/api/src/controller/network-pool.js';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';

const docker = new Docker();
/** Networks this test makes itself, standing for other platds' and the host's. */
const foreignNetworks: string[] = [];
const platds: Platd[] = [];

// Ranges of their own, away from the default pool (10.213.0.0/16) other tests' platds share.
const BIG_POOL = `10.${214 + randomInt(0, 8)}.${16 * randomInt(0, 16)}.0/20`;
const SMALL_PREFIX = `10.${222 + randomInt(0, 8)}.${randomInt(0, 256)}`;
const SMALL_POOL = `${SMALL_PREFIX}.0/24`;
const CLASH_POOL = `10.${230 + randomInt(0, 8)}.${randomInt(0, 256)}.0/24`;

afterAll(async () => {
  // Each platd's destroy removes its networks (by its instance label); ours go by id.
  for (const platd of platds) await platd.destroy().catch((error: Error) => console.error(error.message));
  for (const id of foreignNetworks)
    await docker
      .getNetwork(id)
      .remove()
      .catch(() => undefined);
});

async function api(platd: Platd, method: string, path: string, body?: unknown) {
  const response = await fetch(`${platd.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${platd.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function createApp(platd: Platd, name: string): Promise<string> {
  const created = await api(platd, 'POST', '/v1/apps', { name });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

/** The platd's app networks on Docker: app id to subnet. */
async function appSubnets(platd: Platd): Promise<Map<string, string>> {
  const networks = await docker.listNetworks({
    filters: { label: [`plat.instance=${platd.instance}`, 'plat.app-id'] },
  });
  return new Map(networks.map((n) => [n.Labels!['plat.app-id']!, n.IPAM?.Config?.[0]?.Subnet ?? '']));
}

/** A network of "someone else" (another platd, a VPN): no Plat labels. */
async function foreignNetwork(subnet: string): Promise<string> {
  const made = await docker.createNetwork({
    Name: `plat-pooltest-${randomBytes(4).toString('hex')}`,
    Driver: 'bridge',
    IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] },
  });
  foreignNetworks.push(made.id);
  return made.id;
}

async function removeForeign(id: string): Promise<void> {
  await docker.getNetwork(id).remove();
  foreignNetworks.splice(foreignNetworks.indexOf(id), 1);
}

describe(`a pool larger than Docker's own (${BIG_POOL})`, () => {
  let platd: Platd;
  const ids: string[] = [];

  beforeAll(async () => {
    platd = await startPlatd({ env: { PLAT_NETWORK_POOL: BIG_POOL } });
    platds.push(platd);
  });

  it('gives 40 apps a network each, made with the app, in distinct blocks of the pool', async () => {
    for (let i = 0; i < 40; i += 1) ids.push(await createApp(platd, `pool-${i}`));
    const subnets = await appSubnets(platd);
    expect(subnets.size).toBe(40);
    const mine = ids.map((id) => subnets.get(id)!);
    expect(new Set(mine).size).toBe(40);
    const pool = parseCidr(BIG_POOL);
    for (const subnet of mine) {
      expect(contains(pool, parseCidr(subnet)), `${subnet} in ${BIG_POOL}`).toBe(true);
      expect(subnet).toMatch(/\/26$/);
    }
  });

  it("frees a destroyed app's block, and the next app takes it", async () => {
    const freed = (await appSubnets(platd)).get(ids[7]!)!;
    const destroyed = await api(platd, 'DELETE', '/v1/apps/pool-7?confirm=pool-7');
    expect(destroyed.status, JSON.stringify(destroyed.body)).toBe(204);
    expect((await appSubnets(platd)).has(ids[7]!)).toBe(false);
    const next = await createApp(platd, 'pool-next');
    expect((await appSubnets(platd)).get(next)).toBe(freed);
  });

  it("remakes a network Docker lost, moving to the next free block when another network took the app's", async () => {
    const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
    expect(login.code, login.output).toBe(0);
    const repo = await exampleRepo(platd, 'flask-hello');
    expect((await platd.plat(['git:remote', '-a', 'pool-3'], { cwd: repo })).code).toBe(0);
    // As after a dockerd wipe, and with another platd's network in the block meanwhile.
    const lost = (await appSubnets(platd)).get(ids[3]!)!;
    await docker.getNetwork(`plat-${platd.instance}-${ids[3]}`).remove();
    await foreignNetwork(lost);
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);
    const remade = (await appSubnets(platd)).get(ids[3]!)!;
    expect(remade).not.toBe(lost);
    expect(contains(parseCidr(BIG_POOL), parseCidr(remade))).toBe(true);
    expect([...(await appSubnets(platd)).values()].filter((subnet) => subnet === remade)).toHaveLength(1);
    expect(platd.output()).toContain(`network block ${lost} of app ${ids[3]} is taken on this Docker Engine`);
    const answer = await get(platd.routerPort, 'pool-3.localhost');
    expect(answer.status).toBe(200);
  });
});

describe(`a full pool (${SMALL_POOL} in /26 blocks)`, () => {
  let platd: Platd;

  beforeAll(async () => {
    platd = await startPlatd({ env: { PLAT_NETWORK_POOL: SMALL_POOL } });
    platds.push(platd);
  });

  it('skips a block another network holds, then refuses the next app with 503, leaving nothing', async () => {
    // Made after platd's start: blocks are checked against Docker's networks at each creation.
    const other = await foreignNetwork(`${SMALL_PREFIX}.64/26`);
    for (const name of ['full-a', 'full-b', 'full-c']) await createApp(platd, name);
    expect([...(await appSubnets(platd)).values()].sort()).toEqual(
      [`${SMALL_PREFIX}.0/26`, `${SMALL_PREFIX}.128/26`, `${SMALL_PREFIX}.192/26`].sort(),
    );
    const refused = await api(platd, 'POST', '/v1/apps', { name: 'full-d' });
    expect(refused).toEqual({
      status: 503,
      body: {
        id: 'network_pool_exhausted',
        message:
          `No network block is free in PLAT_NETWORK_POOL (${SMALL_POOL}, a /26 per app: 3 held by apps, ` +
          '1 by other networks on this host): destroy an app, or give Plat a larger PLAT_NETWORK_POOL.',
      },
    });
    expect((await api(platd, 'GET', '/v1/apps/full-d')).status).toBe(404);
    expect((await appSubnets(platd)).size).toBe(3);

    await removeForeign(other);
    await createApp(platd, 'full-d');
    expect((await appSubnets(platd)).size).toBe(4);
  });

  it('says so to the CLI user too, with a failing exit code', async () => {
    const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
    expect(login.code, login.output).toBe(0);
    const created = await platd.plat(['apps:create', 'full-e']);
    expect(created.code).not.toBe(0);
    expect(created.stderr).toContain(`No network block is free in PLAT_NETWORK_POOL (${SMALL_POOL}`);
    expect(created.output).not.toContain('HTTP code');
    const names = (await api(platd, 'GET', '/v1/apps')).body.map((app: { name: string }) => app.name);
    expect(names.sort()).toEqual(['full-a', 'full-b', 'full-c', 'full-d']);
    expect((await appSubnets(platd)).size).toBe(4);
  });
});

describe('a pool other networks cover entirely', () => {
  it('stops platd at start, naming PLAT_NETWORK_POOL and the network in the way', async () => {
    const network = await foreignNetwork(CLASH_POOL);
    const name = (await docker.getNetwork(network).inspect()).Name as string;
    const before = new Set(readdirSync(tmpdir()));
    const failed = await startPlatd({ env: { PLAT_NETWORK_POOL: CLASH_POOL } }).then(
      (platd) => {
        platds.push(platd);
        throw new Error('platd started on a pool another network covers');
      },
      (error: Error) => error,
    );
    // startPlatd stopped what it started; its scratch folder is left to us.
    for (const entry of readdirSync(tmpdir()).filter((e) => !before.has(e) && /^plat-t[0-9a-f]{8}-/.test(e)))
      rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    expect(failed.message).toContain(
      `platd could not start: PLAT_NETWORK_POOL ${CLASH_POOL} clashes with networks already on this host: ` +
        `${CLASH_POOL} (Docker network ${name}); set PLAT_NETWORK_POOL to a private range none of them uses`,
    );
  });
});
