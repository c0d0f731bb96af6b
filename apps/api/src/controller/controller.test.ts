/**
 * The real controller (and the release services above it) against the
 * in-memory runtime and router: deploys, scaling, a failed boot, the release
 * phase, crashes and their backoff, a rollback, one-offs and a teardown.
 * No Docker, no nginx; the state store is real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../../test/support/until.js';
import { cutRelease, rollback } from '../services/releases.js';
import { insertApp, markDestroying, setMaintenance, upsertFormation, type AppRow } from '../store/apps.js';
import { insertDomain } from '../store/domains.js';
import { findRelease } from '../store/releases.js';
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
  it('deploys a first release: one web dyno, routed at the app hostname once it answers', async () => {
    const release = await deploy(1);
    expect(release.status).toBe('succeeded');
    expect(fake.runtime.running('hello')).toEqual(['web.1@v1']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v1']);
    expect(fake.router.routeOf('hello')).toMatchObject({ hostnames: ['hello.localhost'], maintenance: false });
    expect(journal()).toEqual(['start web.1@v1', 'route hello: web.1@v1']);
    await expectRoutedDynosAnswer();
  });

  it('scales up and down, routing web dynos only', async () => {
    await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 3 });
    await upsertFormation(fake.platform.sql, app.id, { type: 'worker', quantity: 1 });
    await fake.platform.controller.converge('hello');
    expect(fake.runtime.running('hello')).toEqual(['web.1@v1', 'web.2@v1', 'web.3@v1', 'worker.1@v1']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v1', 'web.2@v1', 'web.3@v1']);

    await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 2 });
    await fake.platform.controller.converge('hello');
    await fake.platform.controller.settle();
    expect(fake.runtime.running('hello')).toEqual(['web.1@v1', 'web.2@v1', 'worker.1@v1']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v1', 'web.2@v1']);
    expectNoRoutedDynoStopped(journal());
  });

  it('rolls out a new release with no gap: new dynos start and are routed before any old one stops', async () => {
    await deploy(2);
    await fake.platform.controller.settle();
    const entries = journal();
    expect(fake.runtime.running('hello')).toEqual(['web.1@v2', 'web.2@v2', 'worker.1@v2']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v2', 'web.2@v2']);
    const routed = entries.indexOf('route hello: web.1@v2 web.2@v2');
    expect(routed, entries.join('; ')).toBeGreaterThan(-1);
    for (const dyno of ['web.1@v2', 'web.2@v2', 'worker.1@v2']) {
      expect(entries.indexOf(`start ${dyno}`)).toBeLessThan(routed);
    }
    for (const dyno of ['web.1@v1', 'web.2@v1', 'worker.1@v1']) {
      expect(entries.indexOf(`stop ${dyno}`)).toBeGreaterThan(routed);
    }
    expectNoRoutedDynoStopped(entries);
    await expectRoutedDynosAnswer();
  });

  it('fails a release whose web dynos crash at boot (H10) and leaves the old ones serving', async () => {
    fake.runtime.behaviour = (spec) => (spec.version === 3 && spec.web ? 'crash' : 'serve');
    await expect(deploy(3)).rejects.toMatchObject({
      id: 'release_failed',
      message: expect.stringMatching(/^H10: web\.\d crashed at boot \(exit 1\)/),
    });
    expect((await findRelease(fake.platform.sql, app.id, 3))?.status).toBe('failed');
    expect(fake.runtime.running('hello')).toEqual(['web.1@v2', 'web.2@v2', 'worker.1@v2']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v2', 'web.2@v2']);
    expect(journal().filter((entry) => entry.startsWith('route'))).toEqual([]);
  });

  it('fails a release whose web dynos never answer (R10) within the boot timeout', async () => {
    fake.runtime.behaviour = (spec) => (spec.version === 4 && spec.web ? 'silent' : 'serve');
    await expect(deploy(4)).rejects.toMatchObject({
      id: 'release_failed',
      message: expect.stringMatching(/^R10: web\.\d did not answer on \$PORT within 1 s/),
    });
    expect(fake.runtime.running('hello')).toEqual(['web.1@v2', 'web.2@v2', 'worker.1@v2']);
    expect(fake.router.backends('hello')).toEqual(['web.1@v2', 'web.2@v2']);
    fake.runtime.behaviour = () => 'serve';
    journal();
  });

  it('runs the release phase first, and a failing one deploys nothing', async () => {
    const withRelease = { ...PROCESSES, release: 'migrate' };
    fake.runtime.oneOffOutcome = () => ({ lines: ['no database'], exitCode: 1 });
    const lines: string[] = [];
    const onLine = (line: string) => lines.push(line);
    const input = { description: 'Deploy v5', image: 'plat/x-hello:v5', processTypes: withRelease, config: {}, onLine };
    await expect(cutRelease(fake.platform, app, input)).rejects.toMatchObject({
      id: 'release_failed',
      message: expect.stringContaining('Release command failed (exit 1): migrate'),
    });
    expect(lines).toEqual(['-----> Running release command: migrate', '       no database']);
    const ran = journal().filter((entry) => !entry.startsWith('stop release.'));
    expect(ran).toEqual([expect.stringMatching(/^run release\.\d+@v5: migrate$/)]);

    fake.runtime.oneOffOutcome = () => ({ lines: [], exitCode: 0 });
    await deploy(6, withRelease);
    await fake.platform.controller.settle();
    const entries = journal();
    const releasePhase = entries.findIndex((entry) => entry.startsWith('run release.'));
    expect(releasePhase).toBeGreaterThan(-1);
    expect(releasePhase).toBeLessThan(entries.indexOf('start web.1@v6'));
    expect(fake.runtime.running('hello')).toEqual(['web.1@v6', 'web.2@v6', 'worker.1@v6']);
  });

  it('restarts a crashed dyno at once, then after a backoff during which it shows crashed', async () => {
    const { controller } = fake.platform;
    /** The running container the route sends web.1's requests to, unless it is `crashed`. */
    const routedWeb1 = (crashed: { id: string }) => async () => {
      const port = fake.router.routeOf('hello')?.dynos.find((dyno) => dyno.name === 'web.1')?.port;
      if (port === undefined) return undefined;
      const container = fake.runtime.containers().find((candidate) => candidate.hostPort === port);
      return container?.running && container.id !== crashed.id ? container : undefined;
    };
    const first = fake.runtime.crash('hello', 'web.1');
    const restarted = await until('web.1 restarted and routed after its first crash', routedWeb1(first), 5_000);
    expect(fake.router.backends('hello')).toEqual(['web.1@v6', 'web.2@v6']);
    const observed = (await controller.dynos('hello')).find((dyno) => dyno.id === restarted.id)!;
    expect(controller.crashInfo('hello', observed).restarts).toBe(1);

    const second = fake.runtime.crash('hello', 'web.1');
    await until('the second crash seen', async () => controller.crashInfo('hello', observed).restarts === 2, 5_000);
    // Inside the backoff: a converge leaves the dead container (plat ps shows it crashed) and routes around it.
    await controller.converge('hello');
    const held = (await controller.dynos('hello')).find((dyno) => dyno.dyno === 'web.1');
    expect(held).toMatchObject({ id: second.id, running: false, exitCode: 1 });
    expect(fake.router.backends('hello')).toEqual(['web.2@v6']);

    await until('web.1 restarted and routed after its backoff', routedWeb1(second), 5_000);
    expect(fake.router.backends('hello')).toEqual(['web.1@v6', 'web.2@v6']);
    expect(fake.journal.filter((entry) => entry === 'start web.1@v6')).toHaveLength(2);
    journal();
  });

  it('rolls back to an earlier release: its image runs again, as a new release', async () => {
    const release = await rollback(fake.platform, app, 2);
    await fake.platform.controller.settle();
    expect(release).toMatchObject({ version: 7, description: 'Rollback to v2', image: 'plat/x-hello:v2' });
    expect(release.status).toBe('succeeded');
    expect(fake.runtime.running('hello')).toEqual(['web.1@v7', 'web.2@v7', 'worker.1@v7']);
    const images = new Set(fake.runtime.containers().map((container) => container.spec.image));
    expect(images).toEqual(new Set(['plat/x-hello:v2']));
    expectNoRoutedDynoStopped(journal());
  });

  it('leaves a running one-off dyno alone while the formation changes', async () => {
    let finish: (outcome: { lines: string[]; exitCode: number }) => void = () => {};
    fake.runtime.oneOffOutcome = () => new Promise((resolve) => (finish = resolve));
    const release = (await findRelease(fake.platform.sql, app.id, 7))!;
    const options = { kind: 'run' as const, command: 'sleep 60', onLine: () => {} };
    const exitCode = fake.platform.controller.runOneOff(app, release, options);
    await until('the one-off running', async () => (await fake.runtime.listOneOffs()).length === 1, 5_000);

    await upsertFormation(fake.platform.sql, app.id, { type: 'worker', quantity: 0 });
    await fake.platform.controller.converge('hello');
    await fake.platform.controller.settle();
    expect(fake.runtime.running('hello')).toEqual(['web.1@v7', 'web.2@v7']);
    expect(await fake.runtime.listOneOffs()).toMatchObject([{ app: 'hello', running: true, tracked: true }]);

    finish({ lines: [], exitCode: 0 });
    expect(await exitCode).toBe(0);
    const stopped = journal().filter((entry) => entry.startsWith('stop'));
    expect(stopped).toEqual(['stop worker.1@v7', expect.stringMatching(/^stop run\.\d+@v7$/)]);
  });

  it('routes custom domains and maintenance mode without touching the dynos', async () => {
    await insertDomain(fake.platform.sql, app.id, 'www.example.org');
    await setMaintenance(fake.platform.sql, app.id, true);
    await fake.platform.controller.converge('hello');
    const route = fake.router.routeOf('hello');
    expect(route).toMatchObject({ hostnames: ['hello.localhost', 'www.example.org'], maintenance: true });
    expect(journal()).toEqual(['route hello: web.1@v7 web.2@v7 (maintenance)']);
  });

  it('tears a destroyed app down: every dyno stops and its route goes', async () => {
    await markDestroying(fake.platform.sql, app.id);
    await fake.platform.controller.converge('hello');
    expect(fake.runtime.running('hello')).toEqual([]);
    expect(fake.router.routeOf('hello')).toBeUndefined();
    expect(journal()).toEqual(['unroute hello', 'stop web.1@v7', 'stop web.2@v7']);
  });
});
