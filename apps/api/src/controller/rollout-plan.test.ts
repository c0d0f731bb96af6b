import { describe, expect, it } from 'vitest';
import { crashKey, CrashTracker } from './crash-backoff.js';
import { desiredDynos, oneOffDyno, type DesiredInput, type DynoSpec } from './dyno-spec.js';
import type { ObservedDyno } from './reconcile.js';
import { planRollout, routeWith, type Rollout, type RolloutInput } from './rollout-plan.js';

const NOW = 1_000_000;

const PROCESSES = { web: 'serve', worker: 'work' };

function release(version: number, processTypes: Record<string, string> = PROCESSES): DesiredInput['release'] {
  return { id: `rel-${version}`, version, image: `plat/i1-hello:v${version}`, config: {}, processTypes };
}

function desired(
  version: number,
  formation: DesiredInput['formation'] = [],
  processTypes?: Record<string, string>,
): DynoSpec[] {
  return desiredDynos({
    instance: 'i1',
    app: 'hello',
    appId: 'app-1',
    release: release(version, processTypes),
    formation,
  });
}

let nextPort = 40_000;
/** The container a spec became, as the runtime lists it. */
function running(spec: DynoSpec, overrides: Partial<ObservedDyno> = {}): ObservedDyno {
  const port = nextPort++;
  return {
    id: `c-${spec.dyno}-v${spec.version}-${port}`,
    key: spec.key,
    containerName: `${spec.containerName}-abc123`,
    app: spec.app,
    dyno: spec.dyno,
    process: spec.process,
    releaseId: spec.releaseId,
    version: spec.version,
    command: spec.command,
    createdAt: new Date(NOW - 60_000),
    running: true,
    ...(spec.web ? { port: port } : {}),
    ...overrides,
  };
}

function plan(input: Partial<RolloutInput>): Rollout {
  const result = planRollout({
    app: { name: 'hello', maintenance: false },
    hostname: 'hello.example.com',
    domains: [],
    desired: [],
    actual: [],
    crashes: new CrashTracker(),
    now: NOW,
    ...input,
  });
  if (result.kind !== 'rollout') throw new Error(`expected a rollout, got ${result.kind}`);
  return result;
}

/** `web.1@v2`, sorted. */
function names(dynos: { dyno: string; version: number }[]): string[] {
  return dynos.map((dyno) => `${dyno.dyno}@v${dyno.version}`).sort();
}

function scale(web: number, worker = 0, generation = 0): DesiredInput['formation'] {
  return [
    { type: 'web', quantity: web, size: 'standard', generation },
    { type: 'worker', quantity: worker, size: 'standard', generation: 0 },
  ];
}

describe('planRollout', () => {
  it('first deploy: starts the release, routes nothing yet, retires nothing', () => {
    const rollout = plan({ desired: desired(1) });
    expect(names(rollout.start)).toEqual(['web.1@v1']);
    expect(rollout).toMatchObject({ keep: [], clear: [], retire: [], held: [] });
    expect(rollout.route).toEqual({ app: 'hello', hostnames: ['hello.example.com'], dynos: [], maintenance: false });
  });

  it('routes the started web dynos once they answer, and workers never', () => {
    const rollout = plan({ desired: desired(1, scale(1, 1)) });
    const started = rollout.start.map((spec) => running(spec));
    const route = routeWith(rollout.route, started);
    expect(route.dynos).toEqual([{ name: 'web.1', port: started.find((dyno) => dyno.process === 'web')!.port }]);
  });

  it('an app already converged: keeps everything, starts and retires nothing, routes what runs', () => {
    const actual = desired(1).map((spec) => running(spec));
    const rollout = plan({ desired: desired(1), actual });
    expect(rollout).toMatchObject({ start: [], clear: [], retire: [], keep: actual });
    expect(rollout.route.dynos).toEqual([{ name: 'web.1', port: actual[0]!.port }]);
  });

  it('scale up: starts only the missing dynos and keeps routing the running one', () => {
    const actual = desired(1).map((spec) => running(spec));
    const rollout = plan({ desired: desired(1, scale(3)), actual });
    expect(names(rollout.start)).toEqual(['web.2@v1', 'web.3@v1']);
    expect(rollout.keep).toEqual(actual);
    expect(rollout.route.dynos.map((dyno) => dyno.name)).toEqual(['web.1']);
    expect(rollout.retire).toEqual([]);
  });

  it('scale down: retires the surplus, which the new route no longer names', () => {
    const actual = desired(1, scale(3)).map((spec) => running(spec));
    const rollout = plan({ desired: desired(1, scale(1)), actual });
    expect(rollout.start).toEqual([]);
    expect(names(rollout.retire)).toEqual(['web.2@v1', 'web.3@v1']);
    expect(rollout.route.dynos.map((dyno) => dyno.name)).toEqual(['web.1']);
  });

  it('a new release: starts its dynos, routes only them, then retires every old one', () => {
    const formation = scale(2, 1);
    const actual = desired(1, formation).map((spec) => running(spec));
    const rollout = plan({ desired: desired(2, formation), actual });
    expect(names(rollout.start)).toEqual(['web.1@v2', 'web.2@v2', 'worker.1@v2']);
    expect(rollout.keep).toEqual([]);
    // The old dynos serve until the route changes, so the route holds no old dyno and they are retired after.
    expect(rollout.route.dynos).toEqual([]);
    expect(names(rollout.retire)).toEqual(['web.1@v1', 'web.2@v1', 'worker.1@v1']);
    const started = rollout.start.map((spec) => running(spec));
    expect(routeWith(rollout.route, started).dynos.map((dyno) => `${dyno.name}:${dyno.port}`)).toEqual(
      started.filter((dyno) => dyno.process === 'web').map((dyno) => `${dyno.dyno}:${dyno.port}`),
    );
  });

  it('a restart (new generation) replaces the dyno like a new release', () => {
    const actual = desired(1).map((spec) => running(spec));
    const rollout = plan({ desired: desired(1, scale(1, 0, 1)), actual });
    expect(rollout.start.map((spec) => spec.key)).toEqual(['rel-1/web.1/g1']);
    expect(rollout.retire).toEqual(actual);
  });

  it('a crashed dyno past its backoff: its dead container is cleared and a new one started', () => {
    const [web] = desired(1);
    const dead = running(web!, { running: false, exitCode: 1 });
    const crashes = new CrashTracker();
    crashes.crashed(crashKey('hello', 'rel-1', 'web.1'), 1, NOW);
    const rollout = plan({ desired: desired(1), actual: [dead], crashes });
    expect(rollout.clear).toEqual([dead]);
    expect(names(rollout.start)).toEqual(['web.1@v1']);
    expect(rollout.retire).toEqual([]);
  });

  it('a crashed dyno inside its backoff: held, its dead container stays for plat ps, and it is not routed', () => {
    const [web] = desired(1);
    const dead = running(web!, { running: false, exitCode: 1 });
    const crashes = new CrashTracker();
    const key = crashKey('hello', 'rel-1', 'web.1');
    crashes.crashed(key, 1, NOW - 5_000);
    crashes.started(key, NOW - 4_000);
    expect(crashes.crashed(key, 1, NOW).retryAt).toBe(NOW + 1000);
    const rollout = plan({ desired: desired(1), actual: [dead], crashes });
    expect(rollout).toMatchObject({ start: [], clear: [], retire: [], keep: [] });
    expect(names(rollout.held)).toEqual(['web.1@v1']);
    expect(rollout.route.dynos).toEqual([]);
    expect(plan({ desired: desired(1), actual: [dead], crashes, now: NOW + 1000 }).start).toHaveLength(1);
  });

  it('keeps the crash records of desired and observed dynos only', () => {
    const old = desired(1).map((spec) => running(spec));
    const rollout = plan({ desired: desired(2), actual: old });
    expect([...rollout.crashKeys].sort()).toEqual(['hello/rel-1/web.1', 'hello/rel-2/web.1']);
  });

  it('leaves one-off dynos alone', () => {
    const oneOff = oneOffDyno({
      instance: 'i1',
      app: 'hello',
      appId: 'app-1',
      release: release(1),
      kind: 'run',
      command: 'bash',
      number: 4711,
    });
    const oneOffs = [running(oneOff, { oneOff: true }), running(oneOff, { oneOff: true, running: false })];
    const rollout = plan({ desired: desired(2), actual: oneOffs });
    expect(rollout).toMatchObject({ clear: [], retire: [], keep: [] });
    expect([...rollout.crashKeys]).toEqual(['hello/rel-2/web.1']);
  });

  it('an app with no web process: runs its workers and routes no dynos', () => {
    const workersOnly = desired(1, [{ type: 'worker', quantity: 2, size: 'standard' }], { worker: 'work' });
    const rollout = plan({ desired: workersOnly });
    expect(names(rollout.start)).toEqual(['worker.1@v1', 'worker.2@v1']);
    expect(
      routeWith(
        rollout.route,
        rollout.start.map((spec) => running(spec)),
      ).dynos,
    ).toEqual([]);
  });

  it('an app with no release yet, or whose release has no image: nothing runs, the route has no dynos', () => {
    const stale = desired(1).map((spec) => running(spec));
    const rollout = plan({ desired: [], actual: stale });
    expect(rollout.start).toEqual([]);
    expect(rollout.retire).toEqual(stale);
    expect(rollout.route).toMatchObject({ app: 'hello', dynos: [] });
  });

  it('domains change: only the route changes', () => {
    const actual = desired(1).map((spec) => running(spec));
    const rollout = plan({ desired: desired(1), actual, domains: ['www.example.org', 'example.org'] });
    expect(rollout).toMatchObject({ start: [], retire: [], clear: [] });
    expect(rollout.route.hostnames).toEqual(['hello.example.com', 'www.example.org', 'example.org']);
  });

  it('maintenance mode: the route says so and the dynos keep running', () => {
    const actual = desired(1).map((spec) => running(spec));
    const rollout = plan({ app: { name: 'hello', maintenance: true }, desired: desired(1), actual });
    expect(rollout.route).toMatchObject({ maintenance: true, dynos: [{ name: 'web.1', port: actual[0]!.port }] });
    expect(rollout).toMatchObject({ start: [], retire: [] });
  });

  it('an app that is gone: a teardown retiring every container, dead or running', () => {
    const actual = [...desired(1).map((spec) => running(spec)), running(desired(1)[0]!, { running: false })];
    const input = { hostname: 'x', domains: [], desired: [], actual, crashes: new CrashTracker(), now: NOW };
    expect(planRollout({ ...input, app: undefined })).toEqual({ kind: 'teardown', retire: actual });
  });
});
