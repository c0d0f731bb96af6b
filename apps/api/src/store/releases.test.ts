/** Releases and the config a rollback restores, on this machine's PostgreSQL server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { appIds, configVars, deleteApp, insertApp, replaceConfigVars, updateConfigVars } from './apps.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import {
  currentRelease,
  failPendingReleases,
  insertRelease,
  latestRelease,
  listReleases,
  releaseImagesInUse,
  setReleaseStatus,
} from './releases.js';
import { ensureUser } from './users.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;

describe('releases and config', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let ownerId: string;

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    await migrate(database.sql);
    ownerId = (await ensureUser(database.sql, 'release@example.com', false)).id;
  });
  afterAll(async () => {
    await dispose?.();
  });

  const release = async (appId: string, image: string, status: 'succeeded' | 'failed' | 'pending') => {
    const row = await insertRelease(database.sql, appId, { description: image, image, config: {}, processTypes: {} });
    if (status !== 'pending') await setReleaseStatus(database.sql, row.id, status);
    return row;
  };

  it("keeps each app's newest images, its current one and any being rolled out", async () => {
    const web = (await insertApp(database.sql, 'web', ownerId))!;
    const api = (await insertApp(database.sql, 'api', ownerId))!;
    await release(web.id, 'web:1', 'succeeded');
    await release(web.id, 'web:2', 'succeeded');
    await release(web.id, 'web:3', 'failed');
    await release(web.id, 'web:4', 'failed');
    await release(api.id, 'api:1', 'pending');
    await release(api.id, 'api:2', 'succeeded');
    await release(api.id, 'api:3', 'succeeded');
    // Two per app: web:4, web:3, and web:2 as current; api:3, api:2, and api:1 as pending.
    const kept = await releaseImagesInUse(database.sql, 2);
    expect(kept.sort()).toEqual(['api:1', 'api:2', 'api:3', 'web:2', 'web:3', 'web:4']);
    expect((await releaseImagesInUse(database.sql, 1)).sort()).toEqual(['api:1', 'api:3', 'web:2', 'web:4']);
  });

  it('fails the releases left pending, and only those', async () => {
    const app = (await insertApp(database.sql, 'cut-short', ownerId))!;
    await release(app.id, 'cut:1', 'succeeded');
    await release(app.id, 'cut:2', 'pending');
    // One here, one (api:1) from the test before.
    expect(await failPendingReleases(database.sql)).toBe(2);
    // Under them, v1: the app's "Initial release".
    expect((await listReleases(database.sql, app.id)).map((r) => r.status)).toEqual([
      'failed',
      'succeeded',
      'succeeded',
    ]);
    expect(await failPendingReleases(database.sql)).toBe(0);
  });

  it('starts every app at v1 "Initial release", which has no image and is never current', async () => {
    const app = (await insertApp(database.sql, 'fresh', ownerId))!;
    expect(await listReleases(database.sql, app.id)).toMatchObject([
      { version: 1, description: 'Initial release', status: 'succeeded', image: null, build_id: null, config: {} },
    ]);
    expect(await currentRelease(database.sql, app.id)).toBeUndefined();
    expect((await latestRelease(database.sql, app.id))?.version).toBe(1);
    // A config release before the first deploy: the head of the history, still nothing to run.
    const config = await insertRelease(database.sql, app.id, {
      description: 'Set A',
      image: null,
      config: { A: '1' },
      processTypes: {},
    });
    await setReleaseStatus(database.sql, config.id, 'succeeded');
    expect(config.version).toBe(2);
    expect(await currentRelease(database.sql, app.id)).toBeUndefined();
    expect((await latestRelease(database.sql, app.id))?.id).toBe(config.id);
    const deployed = await release(app.id, 'fresh:3', 'succeeded');
    expect(deployed.version).toBe(3);
    expect((await currentRelease(database.sql, app.id))?.id).toBe(deployed.id);
    expect((await latestRelease(database.sql, app.id))?.id).toBe(deployed.id);
    // An imageless release never keeps an image, nor puts a null among them.
    expect(await releaseImagesInUse(database.sql, 5)).not.toContain(null);
  });

  it("replaces an app's config vars with a release's, leaving other apps' alone", async () => {
    const app = (await insertApp(database.sql, 'rolled', ownerId))!;
    const other = (await insertApp(database.sql, 'other', ownerId))!;
    await updateConfigVars(database.sql, app.id, { A: '1', B: '2' });
    await updateConfigVars(database.sql, other.id, { A: 'x' });
    await replaceConfigVars(database.sql, app.id, { B: 'old', C: '3' });
    expect(await configVars(database.sql, app.id)).toEqual({ B: 'old', C: '3' });
    expect(await configVars(database.sql, other.id)).toEqual({ A: 'x' });
  });

  it('lists the ids of the apps there are', async () => {
    const app = (await insertApp(database.sql, 'listed', ownerId))!;
    expect((await appIds(database.sql)).has(app.id)).toBe(true);
    await deleteApp(database.sql, app.id);
    expect((await appIds(database.sql)).has(app.id)).toBe(false);
  });
});
