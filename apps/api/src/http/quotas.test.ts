/**
 * Quotas through the API (fastify inject, real state store, Docker and
 * nginx behind it): each refusal is quota_exceeded (403), says which limit,
 * and changes nothing.
 */
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_IMAGE } from '@plat/builder';
import { cutRelease } from '../services/releases.js';
import { configVars, findApp } from '../store/apps.js';
import { backends } from '../testing/backends.js';
import { startTestPlatform, type TestPlatform } from '../testing/platform.js';
import { until as waitUntil } from '../../../../test/support/until.js';

describe('quotas', () => {
  let t: TestPlatform;
  let bobToken: string;

  const call = async (method: string, url: string, options: { token?: string; body?: unknown } = {}) => {
    const response = await t.server.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${options.token ?? t.adminToken}` },
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
    });
    return { status: response.statusCode, body: response.body ? (JSON.parse(response.body) as any) : undefined };
  };

  beforeAll(async () => {
    t = await startTestPlatform(backends[0]!, {
      maxAppsPerUser: 2,
      maxDynosPerType: 3,
      maxSchedulerJobs: 1,
      maxOneOffs: 1,
      maxRunSeconds: 4,
    });
    bobToken = (await call('POST', '/v1/users', { body: { email: 'bob@example.com' } })).body.token;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses an app past the per-user limit, and counts each user apart', async () => {
    expect((await call('POST', '/v1/apps', { token: bobToken, body: { name: 'bob-one' } })).status).toBe(201);
    expect((await call('POST', '/v1/apps', { token: bobToken, body: { name: 'bob-two' } })).status).toBe(201);
    const refused = await call('POST', '/v1/apps', { token: bobToken, body: { name: 'bob-three' } });
    expect(refused).toEqual({
      status: 403,
      body: {
        id: 'quota_exceeded',
        message: 'You own 2 apps, the most allowed (PLAT_MAX_APPS_PER_USER=2): destroy one first.',
      },
    });
    expect(
      (await call('GET', '/v1/apps', { token: bobToken })).body.map((app: { name: string }) => app.name).sort(),
    ).toEqual(['bob-one', 'bob-two']);
    expect(await findApp(t.platform.sql, 'bob-three')).toBeUndefined();
    expect((await call('POST', '/v1/apps', { body: { name: 'shop' } })).status).toBe(201);
  });

  it('refuses more dynos of a type than allowed, keeping the formation', async () => {
    const before = (await call('GET', '/v1/apps/shop/formation')).body;
    const refused = await call('PATCH', '/v1/apps/shop/formation', {
      body: [
        { type: 'web', quantity: 2 },
        { type: 'worker', quantity: 4 },
      ],
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      id: 'quota_exceeded',
      message: 'worker cannot have 4 dynos: at most 3 per process type (PLAT_MAX_DYNOS_PER_TYPE).',
    });
    expect((await call('GET', '/v1/apps/shop/formation')).body).toEqual(before);
    const scaled = await call('PATCH', '/v1/apps/shop/formation', { body: [{ type: 'worker', quantity: 3 }] });
    expect(scaled.status).toBe(200);
    expect(scaled.body.map((entry: { type: string; quantity: number }) => `${entry.type}=${entry.quantity}`)).toEqual([
      'web=1',
      'worker=3',
    ]);
    expect((await call('PATCH', '/v1/apps/shop/formation', { body: [{ type: 'worker', quantity: 0 }] })).status).toBe(
      200,
    );
  });

  it('refuses a schedule firing more often than once a minute, and jobs past the limit', async () => {
    expect((await call('POST', '/v1/apps/shop/addons', { body: { plan: 'scheduler' } })).status).toBe(201);
    const often = await call('POST', '/v1/apps/shop/scheduler/jobs', {
      body: { schedule: '*/10 * * * * *', command: 'echo tick' },
    });
    expect(often).toEqual({
      status: 403,
      body: {
        id: 'quota_exceeded',
        message:
          '"*/10 * * * * *" runs every 10 s; ' +
          'jobs may run at most once every 60 s (PLAT_SCHEDULER_MIN_INTERVAL_SECONDS).',
      },
    });
    expect((await call('GET', '/v1/apps/shop/scheduler/jobs')).body).toEqual([]);
    expect(
      (await call('POST', '/v1/apps/shop/scheduler/jobs', { body: { schedule: '30 * * * * *', command: 'echo tick' } }))
        .status,
    ).toBe(201);
    const second = await call('POST', '/v1/apps/shop/scheduler/jobs', {
      body: { schedule: '*/5 * * * *', command: 'echo tock' },
    });
    expect(second.status).toBe(403);
    expect(second.body.message).toBe(
      'This app has 1 scheduler jobs, the most allowed (PLAT_MAX_SCHEDULER_JOBS=1): remove one first.',
    );
    expect(
      (await call('GET', '/v1/apps/shop/scheduler/jobs')).body.map((job: { schedule: string }) => job.schedule),
    ).toEqual(['30 * * * * *']);
  });

  it('refuses a second one-off dyno while the first runs, and frees the slot when it ends', async () => {
    const app = (await findApp(t.platform.sql, 'shop'))!;
    await t.platform.releases.run('shop', async () =>
      cutRelease(t.platform, app, {
        description: 'Deploy aaaaaaa',
        image: STACK_IMAGE,
        processTypes: { worker: 'sleep infinity' },
        config: await configVars(t.platform.sql, app.id),
      }),
    );
    expect((await call('POST', '/v1/apps/shop/dynos', { body: { command: 'sleep 3' } })).status).toBe(202);
    const refused = await call('POST', '/v1/apps/shop/dynos', { body: { command: 'echo second' } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'shop already has 1 one-off dynos running, the most allowed (PLAT_MAX_ONE_OFFS=1): wait for one to finish.',
    );
    const deadline = Date.now() + 30_000;
    let status = 403;
    while (status === 403 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await call('POST', '/v1/apps/shop/dynos', { body: { command: 'echo third' } })).status;
    }
    expect(status, 'the slot was not freed within 30 s of the first one-off ending').toBe(202);
  });

  it('stops a detached run after PLAT_MAX_RUN_SECONDS and says so in the log', async () => {
    const until = async (what: string, check: () => Promise<boolean>) => {
      const deadline = Date.now() + 60_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    let started = { status: 403, body: {} as { name?: string } };
    await until('a free one-off slot', async () => {
      started = await call('POST', '/v1/apps/shop/dynos', { body: { command: 'sleep 600' } });
      return started.status === 202;
    });
    const dyno = started.body.name!;
    const log = async () =>
      (
        await t.server.inject({
          method: 'GET',
          url: '/v1/apps/shop/logs?source=plat&lines=50',
          headers: { authorization: `Bearer ${t.adminToken}` },
        })
      ).body;
    await until('the run to be stopped', async () =>
      (await log()).includes(
        `plat[${dyno}]: Process stopped after 4 s, the longest a detached run may take (PLAT_MAX_RUN_SECONDS)`,
      ),
    );
    const docker = new Docker();
    await until(
      'its container to go',
      async () =>
        (
          await docker.listContainers({
            all: true,
            filters: { label: [`plat.instance=${t.settings.instance}`, `plat.dyno=${dyno}`] },
          })
        ).length === 0,
    );
    expect((await call('POST', '/v1/apps/shop/dynos', { body: { command: 'true' } })).status).toBe(202);
  });

  it("counts an earlier platd's one-offs and removes finished or overdue ones, never its own", async () => {
    const docker = new Docker();
    const orphan = (number: number) =>
      docker.createContainer({
        name: `plat-${t.settings.instance}-shop-run-${number}`,
        Image: STACK_IMAGE,
        Cmd: ['sleep', '600'],
        Labels: {
          'plat.instance': t.settings.instance,
          'plat.app': 'shop',
          'plat.dyno': `run.${number}`,
          'plat.one-off': 'true',
        },
      });
    const shop = (await findApp(t.platform.sql, 'shop'))!;
    await waitUntil(
      "the earlier test's one-off to end",
      async () => t.platform.controller.oneOffs.inUse(shop.id) === 0,
    );
    await orphan(9998);
    const running = await orphan(9999);
    await running.start();
    const oneOffs = async () =>
      (
        await docker.listContainers({
          all: true,
          filters: { label: [`plat.instance=${t.settings.instance}`, 'plat.one-off'] },
        })
      )
        .map((info) => info.Labels['plat.dyno'])
        .sort();

    // No platd watches the orphan, but it runs: it holds the app's only one-off slot.
    const refused = await call('POST', '/v1/apps/shop/dynos', { body: { command: 'sleep 600' } });
    expect(refused.status).toBe(403);
    expect((refused.body as { message?: string }).message).toContain('shop already has 1 one-off dynos running');

    await t.platform.controller.oneOffs.sweep();
    expect(await oneOffs()).toEqual(['run.9999']);
    await t.platform.controller.oneOffs.sweep(new Date(Date.now() + 5_000));
    expect(await oneOffs()).toEqual([]);
    const log = (
      await t.server.inject({
        method: 'GET',
        url: '/v1/apps/shop/logs?source=plat&dyno=run.9999',
        headers: { authorization: `Bearer ${t.adminToken}` },
      })
    ).body;
    expect(log).toContain(
      'plat[run.9999]: Process stopped after 4 s, the longest a detached run may take (PLAT_MAX_RUN_SECONDS)',
    );

    const own = await call('POST', '/v1/apps/shop/dynos', { body: { command: 'sleep 600' } });
    expect(own.status).toBe(202);
    const name = (own.body as { name?: string }).name!;
    await waitUntil('its own one-off container', async () => (await oneOffs()).includes(name));
    await t.platform.controller.oneOffs.sweep();
    expect(await oneOffs()).toEqual([name]);
  });
});
