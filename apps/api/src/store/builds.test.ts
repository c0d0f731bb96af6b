import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { insertApp } from './apps.js';
import { failInterruptedBuilds, finishBuild, insertBuild, listBuilds, recentPendingBuilds } from './builds.js';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { ensureUser } from './users.js';

describe.each(backends)('builds on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    ({ database, dispose } = await backend.open());
    await migrate(database.sql);
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('fails builds a platd restart cut short, and leaves finished ones alone', async () => {
    const owner = await ensureUser(database.sql, 'builder@example.com', false);
    const app = (await insertApp(database.sql, 'built-app', owner.id))!;
    const done = await insertBuild(database.sql, app.id, 'a'.repeat(40));
    await finishBuild(database.sql, done.id, { status: 'succeeded', output: 'ok', image: 'img' });
    const cut = await insertBuild(database.sql, app.id, 'b'.repeat(40));

    expect(await failInterruptedBuilds(database.sql)).toBe(1);
    const builds = await listBuilds(database.sql, app.id);
    expect(builds.find((b) => b.id === cut.id)).toMatchObject({
      status: 'failed',
      output: expect.stringContaining('interrupted by a platd restart'),
    });
    expect(builds.find((b) => b.id === done.id)).toMatchObject({ status: 'succeeded', output: 'ok', image: 'img' });
    expect(await failInterruptedBuilds(database.sql)).toBe(0);
  });

  it('names the builds still running, with the second before each began; not finished or timed-out ones', async () => {
    const owner = await ensureUser(database.sql, 'builder@example.com', false);
    const app = (await insertApp(database.sql, 'busy-app', owner.id))!;
    const stale = (await insertApp(database.sql, 'stale-app', owner.id))!;
    const before = Math.floor(Date.now() / 1000) - 1;
    await insertBuild(database.sql, app.id, 'c'.repeat(40));
    const old = await insertBuild(database.sql, stale.id, 'd'.repeat(40));
    await database.sql`update builds set created_at = now() - interval '1 hour' where id = ${old.id}`;
    const done = await insertBuild(database.sql, stale.id, 'e'.repeat(40));
    await finishBuild(database.sql, done.id, { status: 'succeeded', output: '', image: 'img' });

    const running = await recentPendingBuilds(database.sql, 600);
    expect(running.map((build) => build.appId)).toEqual([app.id]);
    expect(running[0]!.startedBefore).toBeGreaterThanOrEqual(before - 1);
    expect(running[0]!.startedBefore).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    await failInterruptedBuilds(database.sql);
  });
});
