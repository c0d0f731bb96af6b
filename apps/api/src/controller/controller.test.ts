/**
 * The real controller (and the release services above it) against the
 * in-memory runtime and router: deploys, scaling, a failed boot, the release
 * phase, crashes and their backoff, a rollback, one-offs and a teardown.
 * No Docker, no nginx; the state store is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../../test/support/until.js';
import { cutRelease, releaseConfig, rollback } from '../services/releases.js';
import {
  insertApp,
  markDestroying,
  setMaintenance,
  updateConfigVars,
  upsertFormation,
  type AppRow,
} from '../store/apps.js';
import { insertDomain } from '../store/domains.js';
import { currentRelease, findRelease, latestRelease } from '../store/releases.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';

let fake: FakePlatform;
let app: AppRow;

const PROCESSES = { web: 'serve', worker: 'work' };

function deploy(version: number, processTypes: Record<string, string> = PROCESSES) {
  const image = `plat/x-hello:v${version}`;
  return cutRelease(fake.platform, app, { description: `Deploy v${version}`, image, processTypes, config: {} });
}

/** Takes the journal written since the last call. */
function journal(): string[] {
  return fake.journal.splice(0);
}

/** Fails if a dyno stopped while the router still sent requests to it. */
function expectNoRoutedDynoStopped(entries: string[]): void {
  let routed: string[] = [];
  for (const entry of entries) {
    const route = /^route hello: (.*)$/.exec(entry);
    if (route) routed = route[1]!.split(' ');
    const stop = /^stop (.*)$/.exec(entry);
    if (stop) expect(routed, `${stop[1]} stopped while routed (${entries.join('; ')})`).not.toContain(stop[1]);
  }
}

/** Every dyno the route names answers on its port, as the readiness gate promised. */
async function expectRoutedDynosAnswer(): Promise<void> {
  for (const dyno of fake.router.routeOf('hello')?.dynos ?? []) {
    const body = await (await fetch(`http://127.0.0.1:${dyno.port}/`)).text();
    expect(body).toMatch(new RegExp(`^dyno ${dyno.name.replace('.', '\\.')} v\\d+`));
  }
}

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { bootTimeoutMs: 500 });
  const owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
  app = (await insertApp(fake.platform.sql, 'hello', owner.id))!;
});
afterAll(async () => {
  await fake?.close();
});

describe('the controller on an in-memory runtime and router', () => {
  it('runs nothing for the releases before the first deploy: v1 "Initial release" and config changes', async () => {
    expect(await findRelease(fake.platform.sql, app.id, 1)).toMatchObject({
      description: 'Initial release',
      status: 'succeeded',
      image: null,
      config: {},
    });
    await updateConfigVars(fake.platform.sql, app.id, { GREETING: 'hi' });
    const release = await releaseConfig(fake.platform, app, 'Set GREETING');
    expect(release).toMatchObject({ version: 2, status: 'succeeded', image: null, config: { GREETING: 'hi' } });
    await fake.platform.controller.converge('hello');
    expect(fake.runtime.running('hello')).toEqual([]);
    expect(journal().filter((entry) => !entry.startsWith('route'))).toEqual([]);
    // Nothing runs, but the config history's head is v2.
    expect(await currentRelease(fake.platform.sql, app.id)).toBeUndefined();
    expect((await latestRelease(fake.platform.sql, app.id))?.version).toBe(2);
  });

  it('deploys a first release: one web dyno, routed at the app hostname once it answers', async () => {
    const release = await deploy(3);
    expect(release.status).toBe('succeeded');
    expect(fake.runtime.running('hello')).toEqual(['web.1@v3']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v3']);
    expect(fake.router.routeOf('hello')).toMatchObject({ hostnames: ['hello.localhost'], maintenance: false });
    expect(journal()).toEqual(['start web.1@v3', 'route hello: web.1@v3']);
    await expectRoutedDynosAnswer();
  });

  it('scales up and down, routing web dynos only', async () => {
    await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 3 });
    await upsertFormation(fake.platform.sql, app.id, { type: 'worker', quantity: 1 });
    await fake.platform.controller.converge('hello');
    expect(fake.runtime.running('hello')).toEqual(['web.1@v3', 'web.2@v3', 'web.3@v3', 'worker.1@v3']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v3', 'web.2@v3', 'web.3@v3']);

    await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 2 });
    await fake.platform.controller.converge('hello');
    await fake.platform.controller.settle();
    expect(fake.runtime.running('hello')).toEqual(['web.1@v3', 'web.2@v3', 'worker.1@v3']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v3', 'web.2@v3']);
    expectNoRoutedDynoStopped(journal());
  });

  it('rolls out a new release with no gap: new dynos start and are routed before any old one stops', async () => {
    await deploy(4);
    await fake.platform.controller.settle();
    const entries = journal();
    expect(fake.runtime.running('hello')).toEqual(['web.1@v4', 'web.2@v4', 'worker.1@v4']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v4', 'web.2@v4']);
    const routed = entries.indexOf('route hello: web.1@v4 web.2@v4');
    expect(routed, entries.join('; ')).toBeGreaterThan(-1);
    for (const dyno of ['web.1@v4', 'web.2@v4', 'worker.1@v4']) {
      expect(entries.indexOf(`start ${dyno}`)).toBeLessThan(routed);
    }
    for (const dyno of ['web.1@v3', 'web.2@v3', 'worker.1@v3']) {
      expect(entries.indexOf(`stop ${dyno}`)).toBeGreaterThan(routed);
    }
    expectNoRoutedDynoStopped(entries);
    await expectRoutedDynosAnswer();
  });

  it('fails a release whose web dynos crash at boot (H10) and leaves the old ones serving', async () => {
    fake.runtime.behaviour = (spec) => (spec.version === 5 && spec.web ? 'crash' : 'serve');
    await expect(deploy(5)).rejects.toMatchObject({
      id: 'release_failed',
      message: expect.stringMatching(/^H10: web\.\d crashed at boot \(exit 1\)/),
    });
    expect((await findRelease(fake.platform.sql, app.id, 5))?.status).toBe('failed');
    expect(fake.runtime.running('hello')).toEqual(['web.1@v4', 'web.2@v4', 'worker.1@v4']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v4', 'web.2@v4']);
    expect(journal().filter((entry) => entry.startsWith('route'))).toEqual([]);
  });

  it('fails a release whose web dynos never answer (R10) within the boot timeout', async () => {
    fake.runtime.behaviour = (spec) => (spec.version === 6 && spec.web ? 'silent' : 'serve');
    await expect(deploy(6)).rejects.toMatchObject({
      id: 'release_failed',
      message: expect.stringMatching(/^R10: web\.\d did not answer on \$PORT within 1 s/),
    });
    expect(fake.runtime.running('hello')).toEqual(['web.1@v4', 'web.2@v4', 'worker.1@v4']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v4', 'web.2@v4']);
    fake.runtime.behaviour = () => 'serve';
    journal();
  });

  it('runs the release phase first, and a failing one deploys nothing', async () => {
    const withRelease = { ...PROCESSES, release: 'migrate' };
    fake.runtime.oneOffOutcome = () => ({ lines: ['no database'], exitCode: 1 });
    const lines: string[] = [];
    const onLine = (line: string) => lines.push(line);
    const input = { description: 'Deploy v7', image: 'plat/x-hello:v7', processTypes: withRelease, config: {}, onLine };
    await expect(cutRelease(fake.platform, app, input)).rejects.toMatchObject({
      id: 'release_failed',
      message: expect.stringContaining('Release command failed (exit 1): migrate'),
    });
    expect(lines).toEqual(['-----> Running release command: migrate', '       no database']);
    const ran = journal().filter((entry) => !entry.startsWith('stop release.'));
    expect(ran).toEqual([expect.stringMatching(/^run release\.\d+@v7: migrate$/)]);

    fake.runtime.oneOffOutcome = () => ({ lines: [], exitCode: 0 });
    await deploy(8, withRelease);
    await fake.platform.controller.settle();
    const entries = journal();
    const releasePhase = entries.findIndex((entry) => entry.startsWith('run release.'));
    expect(releasePhase).toBeGreaterThan(-1);
    expect(releasePhase).toBeLessThan(entries.indexOf('start web.1@v8'));
    expect(fake.runtime.running('hello')).toEqual(['web.1@v8', 'web.2@v8', 'worker.1@v8']);
  });

  it('restarts a crashed dyno at once, then after a backoff during which it shows crashed', async () => {
    const { controller } = fake.platform;
    /** The running container the route sends web.1's requests to, unless it is `crashed`. */
    const routedWeb1 = (crashed: { id: string }) => async () => {
      const port = fake.router.routeOf('hello')?.dynos.find((dyno) => dyno.name === 'web.1')?.port;
      if (port === undefined) return undefined;
      const container = fake.runtime.containers().find((candidate) => candidate.port === port);
      return container?.running && container.id !== crashed.id ? container : undefined;
    };
    const first = fake.runtime.crash('hello', 'web.1');
    const restarted = await until('web.1 restarted and routed after its first crash', routedWeb1(first), 5_000);
    expect(fake.router.backends('hello')).toEqual(['web.1@v8', 'web.2@v8']);
    const observed = (await controller.dynos('hello')).find((dyno) => dyno.id === restarted.id)!;
    expect(controller.crashInfo('hello', observed).restarts).toBe(1);

    const second = fake.runtime.crash('hello', 'web.1');
    await until('the second crash seen', async () => controller.crashInfo('hello', observed).restarts === 2, 5_000);
    // Inside the backoff: a converge leaves the dead container (plat ps shows it crashed) and routes around it.
    await controller.converge('hello');
    const held = (await controller.dynos('hello')).find((dyno) => dyno.dyno === 'web.1');
    expect(held).toMatchObject({ id: second.id, running: false, exitCode: 1 });
    expect(fake.router.backends('hello')).toEqual(['web.2@v8']);

    await until('web.1 restarted and routed after its backoff', routedWeb1(second), 5_000);
    expect(fake.router.backends('hello')).toEqual(['web.1@v8', 'web.2@v8']);
    expect(fake.journal.filter((entry) => entry === 'start web.1@v8')).toHaveLength(2);
    journal();
  });

  it('replaces at once, counting no crash, a dyno stopped because its network sandbox went away', async () => {
    const { controller } = fake.platform;
    const since = new Date();
    const lost = fake.runtime.crash('hello', 'web.2', 137, 'sandbox');
    const replaced = await until(
      'web.2 replaced and routed',
      async () => {
        const web2 = (await controller.dynos('hello')).find((dyno) => dyno.dyno === 'web.2');
        return web2?.running && web2.id !== lost.id && fake.router.backends('hello').includes('web.2@v8') && web2;
      },
      5_000,
    );
    expect(controller.crashInfo('hello', replaced).restarts).toBe(0);
    expect(controller.crashLoops(Date.now(), 1).filter((loop) => loop.dyno === 'web.2')).toEqual([]);
    const lines = (await fake.platform.logs.recent(app, { lines: 50, filter: { source: 'plat' } })).filter(
      (line) => line.at >= since && line.dyno === 'web.2',
    );
    expect(lines.map((line) => line.line)).toEqual(['stopped: its network sandbox went away, restarting now']);
    journal();
  });

  it('rolls back to an earlier release: its image runs again, as a new release', async () => {
    const release = await rollback(fake.platform, app, 4);
    await fake.platform.controller.settle();
    expect(release).toMatchObject({ version: 9, description: 'Rollback to v4', image: 'plat/x-hello:v4' });
    expect(release.status).toBe('succeeded');
    expect(fake.runtime.running('hello')).toEqual(['web.1@v9', 'web.2@v9', 'worker.1@v9']);
    const images = new Set(fake.runtime.containers().map((container) => container.spec.image));
    expect(images).toEqual(new Set(['plat/x-hello:v4']));
    expectNoRoutedDynoStopped(journal());
    // Heroku's rule: a release made before the app had code has no image to go back to.
    await expect(rollback(fake.platform, app, 2)).rejects.toMatchObject({
      id: 'invalid_params',
      message: expect.stringContaining('Release v2 was made before hello had code (it has no image)'),
    });
  });

  it('leaves a running one-off dyno alone while the formation changes', async () => {
    let finish: (outcome: { lines: string[]; exitCode: number }) => void = () => {};
    fake.runtime.oneOffOutcome = () => new Promise((resolve) => (finish = resolve));
    const release = (await findRelease(fake.platform.sql, app.id, 9))!;
    const options = { kind: 'run' as const, command: 'sleep 60', onLine: () => {} };
    const exitCode = fake.platform.controller.oneOffs.run(app, release, options);
    await until('the one-off running', async () => (await fake.runtime.listOneOffs()).length === 1, 5_000);

    await upsertFormation(fake.platform.sql, app.id, { type: 'worker', quantity: 0 });
    await fake.platform.controller.converge('hello');
    await fake.platform.controller.settle();
    expect(fake.runtime.running('hello')).toEqual(['web.1@v9', 'web.2@v9']);
    expect(await fake.runtime.listOneOffs()).toMatchObject([{ app: 'hello', running: true, tracked: true }]);

    finish({ lines: [], exitCode: 0 });
    expect(await exitCode).toBe(0);
    const stopped = journal().filter((entry) => entry.startsWith('stop'));
    expect(stopped).toEqual(['stop worker.1@v9', expect.stringMatching(/^stop run\.\d+@v9$/)]);
  });

  it('routes custom domains and maintenance mode without touching the dynos', async () => {
    await insertDomain(fake.platform.sql, app.id, 'www.example.org');
    await setMaintenance(fake.platform.sql, app.id, true);
    await fake.platform.controller.converge('hello');
    const route = fake.router.routeOf('hello');
    expect(route).toMatchObject({ hostnames: ['hello.localhost', 'www.example.org'], maintenance: true });
    expect(journal()).toEqual(['route hello: web.1@v9 web.2@v9 (maintenance)']);
  });

  it('tears a destroyed app down: every dyno stops and its route goes', async () => {
    await markDestroying(fake.platform.sql, app.id);
    await fake.platform.controller.converge('hello');
    expect(fake.runtime.running('hello')).toEqual([]);
    expect(fake.router.routeOf('hello')).toBeUndefined();
    expect(journal()).toEqual(['unroute hello', 'stop web.1@v9', 'stop web.2@v9']);
  });
});

describe('a converge asked for while a release rolls out', () => {
  it('runs the new release: it is current before any later task of the app looks', async () => {
    const { sql, controller } = fake.platform;
    const owner = await ensureUser(sql, 'owner@example.com', false);
    const queued = (await insertApp(sql, 'queued', owner.id))!;
    const deployQueued = (version: number) =>
      cutRelease(fake.platform, queued, {
        description: `Deploy v${version}`,
        image: `plat/x-queued:v${version}`,
        processTypes: { web: 'serve' },
        config: {},
      });
    await deployQueued(2);
    // What the release's status was each time a later converge listed the app's dynos.
    const seen: string[] = [];
    let watching = false;
    const list = fake.runtime.listDynos.bind(fake.runtime);
    fake.runtime.listDynos = async (name?: string) => {
      if (watching && name === 'queued') seen.push((await findRelease(sql, queued.id, 3))?.status ?? 'none');
      return list(name);
    };
    try {
      const rolling = deployQueued(3);
      await until('v3 starting', async () => fake.journal.includes('start web.1@v3'), 5_000);
      watching = true;
      // A tick or a scale, queued behind the rollout: it must not go back to v2.
      const next = controller.converge('queued');
      await rolling;
      await next;
      await controller.settle();
    } finally {
      fake.runtime.listDynos = list;
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(['succeeded']));
    expect(fake.runtime.running('queued')).toEqual(['web.1@v3']);
    expect(fake.router.backends('queued')).toEqual(['web.1@v3']);
    expect(journal().filter((entry) => entry.startsWith('start'))).toEqual(['start web.1@v2', 'start web.1@v3']);
  });
});
