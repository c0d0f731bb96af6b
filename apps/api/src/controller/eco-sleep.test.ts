/**
 * Eco dynos on the in-memory runtime and router with the real controller
 * and state store: an idle eco app sleeps (web only), a burst of wakes
 * starts one dyno, releases and restarts while asleep leave it asleep, a
 * failed boot goes back to sleep, a resize wakes it for good.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cutRelease } from '../services/releases.js';
import { bumpGeneration, insertApp, upsertFormation, type AppRow } from '../store/apps.js';
import { sleepingSince } from '../store/eco-sleep.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { WakeError } from './eco-sleep.js';

let fake: FakePlatform;
let app: AppRow;
let plain: AppRow;

const PROCESSES = { web: 'serve', worker: 'work' };

function deploy(row: AppRow, version: number) {
  const image = `plat/x-${row.name}:v${version}`;
  return cutRelease(fake.platform, row, {
    description: `Deploy v${version}`,
    image,
    processTypes: PROCESSES,
    config: {},
  });
}

function journal(): string[] {
  return fake.journal.splice(0);
}

async function events(): Promise<string[]> {
  await fake.platform.logs.flush();
  const lines = await fake.platform.logs.recent(app, { lines: 200, filter: { source: 'plat' } });
  return lines.map((line) => line.line);
}

beforeAll(async () => {
  // Idle for 1 ms is idle: every check finds the awake eco apps idle.
  fake = await startFakePlatform(backends[0]!, { bootTimeoutMs: 500, ecoSleepMs: 1 });
  const owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
  app = (await insertApp(fake.platform.sql, 'dozy', owner.id))!;
  plain = (await insertApp(fake.platform.sql, 'plain', owner.id))!;
  await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 1, size: 'eco' });
  await upsertFormation(fake.platform.sql, app.id, { type: 'worker', quantity: 1, size: 'eco' });
  expect((await deploy(app, 2)).status).toBe('succeeded');
  expect((await deploy(plain, 2)).status).toBe('succeeded');
  journal();
});
afterAll(async () => {
  await fake?.close();
});

describe('eco dynos on an in-memory runtime', () => {
  it("puts an idle eco app's web dynos to sleep, keeping its worker and its formation", async () => {
    const emit = vi.spyOn(fake.platform.webhooks, 'emit');
    await fake.platform.eco.check();
    expect(emit).toHaveBeenCalledWith(
      expect.objectContaining({
        include: 'dyno',
        action: 'update',
        data: expect.objectContaining({ name: 'web.1', state: 'sleeping' }),
      }),
    );
    emit.mockRestore();
    await fake.platform.controller.settle();
    expect(await sleepingSince(fake.platform.sql, app.id)).toBeInstanceOf(Date);
    expect(fake.runtime.running('dozy')).toEqual(['worker.1@v2']);
    expect(fake.router.routeOf('dozy')).toMatchObject({ dynos: [], asleep: true });
    expect(journal()).toEqual(['route dozy: (no web dynos)', 'stop web.1@v2']);
    // Not eco: untouched.
    expect(fake.runtime.running('plain')).toEqual(['web.1@v2']);
    expect(await sleepingSince(fake.platform.sql, plain.id)).toBeUndefined();
    expect(await events()).toContainEqual(expect.stringMatching(/^sleeping: no request for 0 s \(eco\)/));
  });

  it('stays asleep through a periodic converge, a release and a restart, which it takes with it', async () => {
    await fake.platform.controller.converge('dozy');
    expect((await deploy(app, 3)).status).toBe('succeeded');
    await bumpGeneration(fake.platform.sql, app.id, 'all');
    await fake.platform.controller.converge('dozy');
    await fake.platform.controller.settle();
    expect(fake.runtime.running('dozy')).toEqual(['worker.1@v3']);
    expect(fake.router.routeOf('dozy')).toMatchObject({ dynos: [], asleep: true });
    expect(journal().filter((entry) => entry.includes('web'))).toEqual([]);
  });

  it('wakes once for a burst of requests, with the current release, and answers them all', async () => {
    const woken = await Promise.all(Array.from({ length: 30 }, () => fake.platform.eco.wake('dozy')));
    expect(new Set(woken.map((awake) => awake.dyno.name))).toEqual(new Set(['web.1']));
    const entries = journal();
    expect(entries.filter((entry) => entry.startsWith('start web'))).toEqual(['start web.1@v3']);
    expect(fake.router.routeOf('dozy')?.asleep).toBeUndefined();
    expect(fake.router.backends('dozy')).toEqual(['web.1@v3']);
    expect(await sleepingSince(fake.platform.sql, app.id)).toBeUndefined();
    // The dyno answers: the woken request goes to it.
    const body = await (await fetch(`http://127.0.0.1:${woken[0]!.dyno.port}/`)).text();
    expect(body).toMatch(/^dyno web\.1 v3/);
    expect(await events()).toEqual(
      expect.arrayContaining(['waking: a request came in', expect.stringMatching(/^awake in \d+\.\d s$/)]),
    );
  });

  it('answers a failed boot with its code, goes back to sleep, and does not boot again at once', async () => {
    await fake.platform.eco.check();
    await fake.platform.controller.settle();
    expect(await sleepingSince(fake.platform.sql, app.id)).toBeInstanceOf(Date);
    journal();
    fake.runtime.behaviour = (spec) => (spec.web ? 'crash' : 'serve');
    try {
      const failures = await Promise.allSettled([fake.platform.eco.wake('dozy'), fake.platform.eco.wake('dozy')]);
      for (const failure of failures) {
        expect(failure.status).toBe('rejected');
        const reason = (failure as PromiseRejectedResult).reason as WakeError;
        expect(reason).toBeInstanceOf(WakeError);
        expect(reason.code).toBe('H10');
        expect(reason.message).toMatch(/^H10: web\.1 crashed at boot/);
      }
      expect(await sleepingSince(fake.platform.sql, app.id)).toBeInstanceOf(Date);
      expect(fake.router.routeOf('dozy')).toMatchObject({ dynos: [], asleep: true });
      await expect(fake.platform.eco.wake('dozy')).rejects.toThrow(/^H10: /);
      expect(journal().filter((entry) => entry.startsWith('start web'))).toHaveLength(1);
      expect(await events()).toContainEqual(expect.stringMatching(/^wake failed: H10: web\.1 crashed at boot/));
    } finally {
      fake.runtime.behaviour = () => 'serve';
    }
  });

  it('wakes for good when resized from eco, and then never sleeps', async () => {
    await upsertFormation(fake.platform.sql, app.id, { type: 'web', size: 'basic' });
    await fake.platform.controller.converge('dozy');
    expect(fake.runtime.running('dozy')).toEqual(['web.1@v3', 'worker.1@v3']);
    expect(await sleepingSince(fake.platform.sql, app.id)).toBeUndefined();
    await fake.platform.eco.check();
    expect(fake.runtime.running('dozy')).toEqual(['web.1@v3', 'worker.1@v3']);
    // No longer eco: what the sleep check kept for it is forgotten, but the failed wake's hold (10 s).
    expect(fake.platform.eco.entries()).toBe(1);
  });

  it('answers H14 for an app with no web dynos to wake', async () => {
    await upsertFormation(fake.platform.sql, plain.id, { type: 'web', quantity: 0 });
    await fake.platform.controller.converge('plain');
    await expect(fake.platform.eco.wake('plain')).rejects.toMatchObject({ code: 'H14' });
    await expect(fake.platform.eco.wake('no-such-app')).rejects.toMatchObject({ code: 'H14' });
  });
});
