/** Stored log chunks, on this machine's PostgreSQL server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { deleteApp, insertApp } from './apps.js';
import type { Database } from './database.js';
import { chunksBefore, insertChunks, lastAppLineAt, logBytesByApp, trimChunks, type NewChunk } from './log-chunks.js';
import { migrate } from './migrate.js';
import { ensureUser } from './users.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;

const chunk = (appId: string, lines: string[], appLastAt: Date | null = null): NewChunk => ({
  app_id: appId,
  line_count: lines.length,
  app_last_at: appLastAt,
  lines: JSON.stringify(lines),
});

describe('log chunks', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let ownerId: string;

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    await migrate(database.sql);
    ownerId = (await ensureUser(database.sql, 'logs@example.com', false)).id;
  });
  afterAll(async () => {
    await dispose?.();
  });

  it('pages back from the newest chunk', async () => {
    const app = (await insertApp(database.sql, 'paged', ownerId))!;
    for (const n of [1, 2, 3]) await insertChunks(database.sql, [chunk(app.id, [`line ${n}`])]);
    const newest = await chunksBefore(database.sql, app.id, { before: undefined, limit: 2 });
    expect(newest.map((row) => row.lines)).toEqual(['["line 3"]', '["line 2"]']);
    const older = await chunksBefore(database.sql, app.id, { before: newest[1]!.id, limit: 2 });
    expect(older.map((row) => row.lines)).toEqual(['["line 1"]']);
  });

  it("keeps the other apps' chunks of a flush when one app's row is gone", async () => {
    const kept = (await insertApp(database.sql, 'kept', ownerId))!;
    const gone = (await insertApp(database.sql, 'gone', ownerId))!;
    await deleteApp(database.sql, gone.id);
    await insertChunks(database.sql, [chunk(gone.id, ['lost']), chunk(kept.id, ['kept'])]);
    const stored = await chunksBefore(database.sql, kept.id, { before: undefined, limit: 5 });
    expect(stored.map((row) => row.lines)).toEqual(['["kept"]']);
    expect(await chunksBefore(database.sql, gone.id, { before: undefined, limit: 5 })).toEqual([]);
  });

  it("knows the newest dyno line's time, and the bytes stored per app", async () => {
    const app = (await insertApp(database.sql, 'timed', ownerId))!;
    expect(await lastAppLineAt(database.sql, app.id)).toBeUndefined();
    await insertChunks(database.sql, [chunk(app.id, ['a'], new Date('2030-01-01T00:00:02Z'))]);
    await insertChunks(database.sql, [
      chunk(app.id, ['bb'], new Date('2030-01-01T00:00:01Z')),
      chunk(app.id, ['plat only']),
    ]);
    expect(await lastAppLineAt(database.sql, app.id)).toEqual(new Date('2030-01-01T00:00:02Z'));
    const bytes = ['["a"]', '["bb"]', '["plat only"]'].reduce((sum, lines) => sum + lines.length, 0);
    expect((await logBytesByApp(database.sql)).get(app.id)).toBe(bytes);
  });

  it('trims the chunks wholly beyond the newest lines kept', async () => {
    const app = (await insertApp(database.sql, 'trimmed', ownerId))!;
    for (const n of [1, 2, 3, 4]) await insertChunks(database.sql, [chunk(app.id, [`${n}a`, `${n}b`])]);
    // Five lines kept: chunk 2 holds the fifth newest line, so only chunk 1 goes.
    await trimChunks(database.sql, app.id, 5);
    const left = await chunksBefore(database.sql, app.id, { before: undefined, limit: 10 });
    expect(left.map((row) => JSON.parse(row.lines)[0])).toEqual(['4a', '3a', '2a']);
  });
});
