import { describe, expect, it } from 'vitest';
import { desiredDynos, DYNO_PORT, oneOffDyno, SIZES } from './dyno-spec.js';
import { planReconcile, type ObservedDyno } from './reconcile.js';

const release = {
  id: 'rel-2',
  version: 2,
  image: 'plat/i1-hello:abc',
  config: { SECRET: 's3' },
  processTypes: { web: 'gunicorn app:app', worker: 'rq worker', release: 'python migrate.py' },
  commit: '3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a',
};

describe('desiredDynos', () => {
  it('runs one web dyno and no others by default, never the release command', () => {
    const specs = desiredDynos({ instance: 'i1', app: 'hello', appId: 'app-1', release, formation: [] });
    expect(specs.map((spec) => spec.dyno)).toEqual(['web.1']);
    const [web] = specs;
    expect(web).toMatchObject({
      key: 'rel-2/web.1/g0',
      containerName: 'plat-i1-hello-web-1-v2',
      command: 'gunicorn app:app',
      network: 'plat-i1-app-1',
      web: true,
      labels: {
        'plat.instance': 'i1',
        'plat.app': 'hello',
        'plat.release': 'rel-2',
        'plat.process': 'web',
        'plat.dyno': 'web.1',
      },
    });
    expect(web!.env).toMatchObject({ SECRET: 's3', PORT: String(DYNO_PORT), DYNO: 'web.1', WEB_CONCURRENCY: '2' });
  });

  it('names restarted dynos by their generation', () => {
    const [web] = desiredDynos({
      instance: 'i1',
      app: 'hello',
      appId: 'app-1',
      release,
      formation: [{ type: 'web', quantity: 1, size: 'basic', generation: 3 }],
    });
    expect(web!.containerName).toBe('plat-i1-hello-web-1-v2-g3');
    expect(web!.key).toBe('rel-2/web.1/g3');
    expect(web!.labels['plat.key']).toBe('rel-2/web.1/g3');
  });

  it('follows the formation: quantities and sizes', () => {
    const specs = desiredDynos({
      instance: 'i1',
      app: 'hello',
      appId: 'app-1',
      release,
      formation: [
        { type: 'web', quantity: 2, size: 'performance' },
        { type: 'worker', quantity: 1, size: 'basic' },
      ],
    });
    expect(specs.map((spec) => spec.dyno)).toEqual(['web.1', 'web.2', 'worker.1']);
    expect(specs[0]!.size).toBe(SIZES.performance);
    expect(specs[2]).toMatchObject({ web: false, size: SIZES.basic });
  });
});

describe('planReconcile', () => {
  const desired = desiredDynos({
    instance: 'i1',
    app: 'hello',
    appId: 'app-1',
    release,
    formation: [{ type: 'web', quantity: 2, size: 'standard' }],
  });
  const observed = (key: string, running = true): ObservedDyno => ({
    id: `id-${key}`,
    key,
    containerName: `c-${key}`,
    app: 'hello',
    dyno: 'web.1',
    process: 'web',
    releaseId: 'x',
    running,
    port: 40000,
    version: 1,
    command: 'gunicorn app:app',
    createdAt: new Date(0),
  });

  it('keeps running matches, starts the missing and removes the rest', () => {
    const plan = planReconcile(desired, [
      observed('rel-2/web.1/g0'),
      observed('rel-1/web.1/g0'),
      observed('rel-1/web.2/g0'),
    ]);
    expect(plan.keep.map((d) => d.key)).toEqual(['rel-2/web.1/g0']);
    expect(plan.start.map((s) => s.key)).toEqual(['rel-2/web.2/g0']);
    expect(plan.remove.map((d) => d.key)).toEqual(['rel-1/web.1/g0', 'rel-1/web.2/g0']);
  });

  it('replaces a dead container of a desired dyno', () => {
    const plan = planReconcile(desired, [observed('rel-2/web.1/g0', false), observed('rel-2/web.2/g0')]);
    expect(plan.start.map((s) => s.key)).toEqual(['rel-2/web.1/g0']);
    expect(plan.remove.map((d) => d.running)).toEqual([false]);
  });

  it('is idempotent: nothing to do when actual matches desired', () => {
    const plan = planReconcile(desired, [observed('rel-2/web.1/g0'), observed('rel-2/web.2/g0')]);
    expect(plan.start).toEqual([]);
    expect(plan.remove).toEqual([]);
  });
});

describe('dyno metadata', () => {
  const input = {
    instance: 'i1',
    app: 'hello',
    appId: 'app-1',
    release,
    formation: [{ type: 'web', quantity: 2, size: 'standard' }],
  };

  it('tells every dyno its release, commit, app and own id', () => {
    const [one, two] = desiredDynos(input);
    expect(one!.env).toMatchObject({
      PLAT_RELEASE_VERSION: 'v2',
      PLAT_SLUG_COMMIT: release.commit,
      PLAT_APP_NAME: 'hello',
      PLAT_APP_ID: 'app-1',
    });
    expect(one!.env.PLAT_DYNO_ID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(two!.env.PLAT_DYNO_ID).not.toBe(one!.env.PLAT_DYNO_ID);
    // The same dyno keeps its id from one converge to the next.
    expect(desiredDynos(input)[0]!.env.PLAT_DYNO_ID).toBe(one!.env.PLAT_DYNO_ID);
    expect(Object.keys(one!.env).filter((key) => key.startsWith('HEROKU_'))).toEqual([]);
  });

  it("adds Heroku's names when the app asks for them, one-off dynos too", () => {
    const [web] = desiredDynos({ ...input, herokuMetadata: true });
    for (const name of ['RELEASE_VERSION', 'SLUG_COMMIT', 'APP_NAME', 'APP_ID', 'DYNO_ID'])
      expect(web!.env[`HEROKU_${name}`]).toBe(web!.env[`PLAT_${name}`]);
    const run = oneOffDyno({ ...input, herokuMetadata: true, kind: 'postdeploy', command: 'env', number: 1234 });
    expect(run.dyno).toBe('postdeploy.1234');
    expect(run.env).toMatchObject({ HEROKU_APP_NAME: 'hello', PLAT_RELEASE_VERSION: 'v2' });
  });

  it('leaves the commit out for a release not built from one, and carries a readiness path to web dynos', () => {
    const specs = desiredDynos({ ...input, release: { ...release, commit: null }, readinessPath: '/health' });
    expect(specs[0]!.env.PLAT_SLUG_COMMIT).toBeUndefined();
    expect(specs[0]!.readinessPath).toBe('/health');
  });
});
