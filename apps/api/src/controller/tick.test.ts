/**
 * What the controller's upkeep costs with many apps, on the in-memory
 * runtime and router: a tick lists Docker once and passes over apps with
 * nothing to do, an unchanged route is not applied again (unless the last
 * apply failed), and a platd restart routes every app in one apply.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cutRelease } from '../services/releases.js';
import { bumpGeneration, insertApp, setMaintenance, type AppRow } from '../store/apps.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { FakeRouter } from '../testing/fake-router.js';
import { Controller } from './controller.js';

let fake: FakePlatform;
const apps: AppRow[] = [];

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { bootTimeoutMs: 2000 });
  const owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
  for (const name of ['one', 'two', 'three']) {
    const app = (await insertApp(fake.platform.sql, name, owner.id))!;
    apps.push(app);
    const release = { description: 'Deploy v1', image: `plat/${name}:v1`, processTypes: { web: 'serve' }, config: {} };
    await cutRelease(fake.platform, app, release);
  }
});
afterAll(async () => {
  await fake?.close();
});

describe('the controller with many apps', () => {
  it('lists Docker once per tick, and applies and starts nothing when nothing changed', async () => {
    const { controller } = fake.platform;
    const listings = vi.spyOn(fake.runtime, 'listDynos');
    const networks = vi.spyOn(fake.runtime, 'ensureNetwork');
    const applies = fake.router.history.length;
    try {
      await controller.convergeAll();
      await controller.convergeAll();
      expect(listings.mock.calls).toEqual([[], []]);
      expect(networks).not.toHaveBeenCalled();
      expect(fake.router.history).toHaveLength(applies);
    } finally {
      listings.mockRestore();
      networks.mockRestore();
    }
  });

  it('converges in a tick the app whose dyno went without a word from Docker events', async () => {
    const { controller } = fake.platform;
    // Not watching: the crash below is an event the controller missed.
    controller.stop();
    try {
      fake.journal.splice(0);
      fake.runtime.crash('two', 'web.1');
      await controller.convergeAll();
      expect(fake.journal.filter((entry) => entry.startsWith('start'))).toEqual(['start web.1@v2']);
      expect(fake.router.routeOf('two')?.dynos).toHaveLength(1);
      expect(fake.runtime.running('two')).toHaveLength(1);
    } finally {
      await controller.start(10 * 60_000);
    }
  });

  it('tries a failed router apply again on the next converge, though the route did not change', async () => {
    const { controller, sql } = fake.platform;
    const apply = vi.spyOn(fake.router, 'apply').mockRejectedValueOnce(new Error('nginx is down'));
    try {
      await setMaintenance(sql, apps[0]!.id, true);
      await expect(controller.converge('one')).rejects.toThrow('nginx is down');
      await controller.converge('one');
      expect(apply).toHaveBeenCalledTimes(2);
      expect(fake.router.routeOf('one')?.maintenance).toBe(true);
      // Applied now: the same route again costs nothing.
      await controller.converge('one');
      expect(apply).toHaveBeenCalledTimes(2);
    } finally {
      apply.mockRestore();
      await setMaintenance(sql, apps[0]!.id, false);
      await controller.converge('one');
    }
  });

  it('after a platd restart, routes every app from its running dynos in one apply, then converges each', async () => {
    const { sql, settings, logs } = fake.platform;
    const router = new FakeRouter();
    const restarted = new Controller({ sql, runtime: fake.runtime, router, settings, logs, log: () => {} });
    fake.journal.splice(0);
    await restarted.restoreAll();
    expect(router.history).toHaveLength(1);
    const routed = router.history[0]!.map((route) => [route.app, route.dynos.length]);
    expect(routed.sort()).toEqual([
      ['one', 1],
      ['three', 1],
      ['two', 1],
    ]);
    // Adopted as they run: nothing started or stopped.
    expect(fake.journal.filter((entry) => /^(start|stop)/.test(entry))).toEqual([]);
    restarted.stop();
  });

  it('after a platd restart cut a rollout short, routes the old dynos until the new ones serve', async () => {
    const { sql, settings, logs } = fake.platform;
    const three = apps[2]!;
    const portOf = async () => (await fake.runtime.listDynos('three')).find((dyno) => dyno.running)?.port;
    const oldPort = await portOf();
    // A restart stored (plat ps:restart), but platd stopped before carrying it out.
    await bumpGeneration(sql, three.id, 'all');
    const router = new FakeRouter();
    const restarted = new Controller({ sql, runtime: fake.runtime, router, settings, logs, log: () => {} });
    await restarted.restoreAll();
    await restarted.settle();
    const portsOf = (routes: { app: string; dynos: { port: number }[] }[]) =>
      routes.find((route) => route.app === 'three')?.dynos.map((dyno) => dyno.port);
    expect(portsOf(router.history[0]!)).toEqual([oldPort]);
    const newPort = await portOf();
    expect(newPort).not.toBe(oldPort);
    expect(portsOf(router.routes)).toEqual([newPort]);
    restarted.stop();
  });
});
