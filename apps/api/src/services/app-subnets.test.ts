/**
 * App networks' blocks over the real state store and the in-memory runtime:
 * each app reserves one with its row and its network is made in it; other
 * networks on the host are avoided; a full pool or a network Docker cannot
 * make leaves no app behind; a block is freed with its app's row.
 */
import { networkName, PlatError } from '@plat/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCidr } from '../controller/network-pool.js';
import { deleteApp, findApp, insertApp, type AppRow } from '../store/apps.js';
import { blockOf, listBlocks } from '../store/network-blocks.js';
import { ensureUser, type User } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { AppSubnets } from './app-subnets.js';
import { createApp } from './apps.js';
import { listFormation, updateFormation } from './formation.js';

const POOL = { pool: parseCidr('10.99.0.0/24'), blockPrefix: 26 };
let fake: FakePlatform;
let owner: User;

const create = (name?: string) => createApp(fake.platform, owner, name);
const subnetOf = (app: AppRow) => fake.runtime.subnets.get(networkName(fake.platform.settings.instance, app.id));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error as PlatError,
  );

beforeAll(async () => {
  fake = await startFakePlatform(backends.find((backend) => backend.name === 'PostgreSQL server')!, {
    networkPool: POOL,
  });
  owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
});
afterAll(async () => {
  await fake?.close();
});

describe('app network blocks', () => {
  const apps: AppRow[] = [];

  it('reserves the first free block with each new app and makes its network there', async () => {
    apps.push(await create('net-a'));
    expect(await blockOf(fake.platform.sql, apps[0]!.id)).toBe('10.99.0.0/26');
    expect(subnetOf(apps[0]!)).toBe('10.99.0.0/26');
  });

  it('leaves out blocks that other networks or routes of the host overlap', async () => {
    fake.runtime.foreignSubnets = [{ subnet: '10.99.0.70/31', own: false, what: 'Docker network of another platd' }];
    apps.push(await create('net-b'));
    fake.runtime.foreignSubnets = [];
    expect(subnetOf(apps[1]!)).toBe('10.99.0.128/26');
  });

  it('refuses a new app once the pool is full, naming PLAT_NETWORK_POOL, and keeps no row of it', async () => {
    apps.push(await create('net-c'), await create());
    expect(apps.slice(2).map(subnetOf)).toEqual(['10.99.0.64/26', '10.99.0.192/26']);
    for (const name of ['net-e', undefined]) {
      const error = await failure(create(name));
      expect(error).toBeInstanceOf(PlatError);
      expect(error).toMatchObject({ id: 'network_pool_exhausted', status: 503 });
      expect(error.message).toBe(
        'No network block is free in PLAT_NETWORK_POOL (10.99.0.0/24, a /26 per app: 4 held by apps, 0 by other ' +
          'networks on this host): destroy an app, or give Plat a larger PLAT_NETWORK_POOL.',
      );
    }
    expect(await findApp(fake.platform.sql, 'net-e')).toBeUndefined();
    expect(await listBlocks(fake.platform.sql)).toHaveLength(4);
  });

  it('frees a block with its app, for the next app to take', async () => {
    await fake.runtime.removeNetwork(networkName(fake.platform.settings.instance, apps[2]!.id));
    await deleteApp(fake.platform.sql, apps[2]!.id);
    apps[2] = await create('net-f');
    expect(subnetOf(apps[2])).toBe('10.99.0.64/26');
  });

  it('keeps no app, and no block, when its network cannot be made; Docker’s words stay in the log', async () => {
    await fake.runtime.removeNetwork(networkName(fake.platform.settings.instance, apps[2]!.id));
    await deleteApp(fake.platform.sql, apps[2]!.id);
    const ensure = vi
      .spyOn(fake.runtime, 'ensureNetwork')
      .mockRejectedValueOnce(new Error('(HTTP code 500) server error - could not create bridge'));
    const error = await failure(create('net-g'));
    ensure.mockRestore();
    expect(error).toMatchObject({ id: 'unavailable', status: 503 });
    expect(error.message).toContain('Docker could not create a network for net-g, so the app was not created');
    expect(error.message).not.toContain('HTTP code');
    expect(await findApp(fake.platform.sql, 'net-g')).toBeUndefined();
    expect(await listBlocks(fake.platform.sql)).toHaveLength(3);
  });

  it('says Docker is unavailable, and makes nothing, when it cannot list the networks in use', async () => {
    const blocks = await listBlocks(fake.platform.sql);
    const inUse = vi
      .spyOn(fake.runtime, 'subnetsInUse')
      .mockRejectedValue(new Error('connect ENOENT /var/run/docker.sock'));
    try {
      for (const name of ['net-h', undefined]) {
        const error = await failure(create(name));
        expect(error).toBeInstanceOf(PlatError);
        expect(error).toMatchObject({ id: 'unavailable', status: 503 });
        expect(error.message).toBe(
          "Docker did not answer when Plat asked which networks are in use, so the app was not created (platd's " +
            'log says why); try again once Docker is running.',
        );
      }
    } finally {
      inUse.mockRestore();
    }
    expect(await findApp(fake.platform.sql, 'net-h')).toBeUndefined();
    expect(await listBlocks(fake.platform.sql)).toEqual(blocks);
  });

  it('gives an app from before the pool a block when its network is next made', async () => {
    const old = (await insertApp(fake.platform.sql, 'net-old', owner.id))!;
    expect(await blockOf(fake.platform.sql, old.id)).toBeUndefined();
    await fake.runtime.ensureNetwork(networkName(fake.platform.settings.instance, old.id), old.name, old.id);
    expect(subnetOf(old)).toBe('10.99.0.64/26');
    expect(await blockOf(fake.platform.sql, old.id)).toBe('10.99.0.64/26');
    // Docker refusing it (another platd made a network there meanwhile) moves the app on, if a block is free.
    const error = await failure(fake.platform.subnets.replace(old.id, '10.99.0.64/26'));
    expect(error).toMatchObject({ id: 'network_pool_exhausted' });
    expect(await blockOf(fake.platform.sql, old.id)).toBe('10.99.0.64/26');
    // A block whose network is still there is not free, even with its app's row gone.
    await deleteApp(fake.platform.sql, apps[3]!.id);
    expect(await failure(fake.platform.subnets.replace(old.id, '10.99.0.64/26'))).toMatchObject({
      id: 'network_pool_exhausted',
    });
    await fake.runtime.removeNetwork(networkName(fake.platform.settings.instance, apps[3]!.id));
    expect(await fake.platform.subnets.replace(old.id, '10.99.0.64/26')).toBe('10.99.0.192/26');
    expect(await blockOf(fake.platform.sql, old.id)).toBe('10.99.0.192/26');
  });

  it('says an app that is gone gets no block', async () => {
    const error = await failure(fake.platform.subnets.blockOf('00000000-0000-4000-8000-000000000000'));
    expect(error).toMatchObject({ id: 'not_found' });
  });
});

describe('blocks reserved at once', () => {
  it('are distinct', async () => {
    const sql = fake.platform.sql;
    const pool = { pool: parseCidr('10.98.0.0/24'), blockPrefix: 28 };
    const subnets = new AppSubnets({ sql, pool, inUse: async () => [], log: () => {} });
    const before = new Set((await listBlocks(sql)).map((row) => row.subnet));
    const made = await Promise.all(
      Array.from({ length: 12 }, async (_, i) =>
        insertApp(sql, `burst-${i}`, owner.id, { network: await subnets.picker() }),
      ),
    );
    const blocks = (await listBlocks(sql)).map((row) => row.subnet).filter((subnet) => !before.has(subnet));
    expect(made.every(Boolean)).toBe(true);
    expect(new Set(blocks).size).toBe(12);
    expect(blocks.every((block) => block.startsWith('10.98.0.'))).toBe(true);
  });
});

describe("the pool's check at platd's start", () => {
  const check = async (used: { subnet: string; own: boolean; what: string }[]) => {
    const lines: string[] = [];
    const subnets = new AppSubnets({
      sql: fake.platform.sql,
      pool: POOL,
      inUse: async () => used,
      log: (l) => lines.push(l),
    });
    await subnets.check();
    return lines;
  };

  it('fails, naming PLAT_NETWORK_POOL and what covers it, when nothing of it is free', async () => {
    await expect(check([{ subnet: '10.0.0.0/8', own: false, what: 'a route via wg0' }])).rejects.toThrow(
      'PLAT_NETWORK_POOL 10.99.0.0/24 clashes with networks already on this host: 10.0.0.0/8 (a route via wg0); ' +
        'set PLAT_NETWORK_POOL to a private range none of them uses',
    );
  });

  it('leaves out blocks others overlap, and counts its own networks as no clash', async () => {
    expect(await check([{ subnet: '10.99.0.0/24', own: true, what: 'Docker network plat-x' }])).toEqual([]);
    expect(await check([{ subnet: '172.17.0.0/16', own: false, what: 'Docker network bridge' }])).toEqual([]);
    expect(await check([{ subnet: '10.99.0.128/25', own: false, what: 'a route via tun0' }])).toEqual([
      'PLAT_NETWORK_POOL 10.99.0.0/24: 2 of 4 blocks overlap 10.99.0.128/25 (a route via tun0) and are left out',
    ]);
  });
});

describe("a scale against the app's block", () => {
  it('refuses dynos its /26 cannot hold, naming PLAT_NETWORK_BLOCK, and keeps the formation', async () => {
    const app = (await insertApp(fake.platform.sql, 'net-scale', owner.id))!;
    await updateFormation(fake.platform, app, owner, [{ type: 'web', quantity: 20 }]);
    const error = await failure(updateFormation(fake.platform, app, owner, [{ type: 'worker', quantity: 4 }]));
    expect(error).toMatchObject({ id: 'quota_exceeded', status: 403 });
    expect(error.message).toContain("24 dynos do not fit this app's network: its /26 block (PLAT_NETWORK_BLOCK)");
    expect((await listFormation(fake.platform, app)).map((e) => `${e.type}=${e.quantity}`)).toEqual(['web=20']);
    // 20 web (40 while rolling) + 3 workers + 18 for one-offs and add-ons: the block's 61 exactly.
    await updateFormation(fake.platform, app, owner, [{ type: 'worker', quantity: 3 }]);
    expect((await listFormation(fake.platform, app)).map((e) => `${e.type}=${e.quantity}`)).toEqual([
      'web=20',
      'worker=3',
    ]);
  });
});
