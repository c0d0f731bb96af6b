/** Stored metric points, their 5-minute roll-up and pruning, on this machine's PostgreSQL server. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MetricPoint } from '../metrics/rollup.js';
import { backends } from '../testing/backends.js';
import { deleteApp, insertApp } from './apps.js';
import type { Database, Sql } from './database.js';
import { insertPoints, newestRollup, prunePoints, readPoints, rollUpPoints } from './metrics.js';
import { migrate } from './migrate.js';
import { ensureUser } from './users.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;

function point(appId: string, at: string, overrides: Partial<MetricPoint> = {}): MetricPoint {
  return {
    app_id: appId,
    at: new Date(at),
    step: 10,
    kind: 'dyno',
    type: 'web',
    name: 'web.1',
    cpu_percent: 10,
    memory_bytes: 100,
    memory_limit_bytes: 1000,
    rx_bytes: 1,
    tx_bytes: 1,
    restarts: 0,
    ...overrides,
  };
}

describe('metric points', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let ownerId: string;
  let sql: Sql;

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    sql = database.sql;
    await migrate(sql);
    ownerId = (await ensureUser(sql, 'metrics@example.com', false)).id;
  });
  afterAll(async () => {
    await dispose?.();
  });

  const newApp = async (name: string) => (await insertApp(sql, name, ownerId))!.id;
  const coarse = (appId: string) =>
    readPoints(sql, appId, { since: new Date('2026-11-01T00:00:00Z'), step: 300 }).then((points) =>
      points.map(({ app_id, ...rest }) => rest),
    );

  it('rolls 10 s points into 5-minute buckets: CPU averaged, memory and restarts at peak, counters last', async () => {
    const app = await newApp('rolled');
    await insertPoints(sql, [
      point(app, '2026-11-29T10:00:00Z', { cpu_percent: 10, memory_bytes: 300, rx_bytes: 5, restarts: 0 }),
      point(app, '2026-11-29T10:04:50Z', { cpu_percent: 30.333, memory_bytes: 100, rx_bytes: 9, tx_bytes: 4 }),
      point(app, '2026-11-29T10:02:00Z', { cpu_percent: 20, memory_bytes: 200, rx_bytes: 7, restarts: 1 }),
      point(app, '2026-11-29T10:05:00Z', { cpu_percent: 50 }),
      point(app, '2026-11-29T10:01:00Z', { name: 'web.2', cpu_percent: 1 }),
      point(app, '2026-11-29T10:03:00Z', { kind: 'addon', type: 'redis-1', name: 'redis-1', memory_bytes: 5e9 }),
      // The bucket still filling is left for a later roll-up.
      point(app, '2026-11-29T10:10:00Z', { cpu_percent: 99 }),
    ]);
    const window = { from: new Date('2026-11-29T10:00:00Z'), to: new Date('2026-11-29T10:10:00Z') };
    expect(await rollUpPoints(sql, window)).toBe(4);
    const rolled = await coarse(app);
    // Oldest first, by name within a time.
    expect(rolled).toEqual([
      expect.objectContaining({ at: new Date('2026-11-29T10:00:00Z'), kind: 'addon', memory_bytes: 5e9 }),
      {
        at: new Date('2026-11-29T10:00:00Z'),
        step: 300,
        kind: 'dyno',
        type: 'web',
        name: 'web.1',
        cpu_percent: 20.11,
        memory_bytes: 300,
        memory_limit_bytes: 1000,
        rx_bytes: 9,
        tx_bytes: 4,
        restarts: 1,
      },
      expect.objectContaining({ at: new Date('2026-11-29T10:00:00Z'), name: 'web.2', cpu_percent: 1 }),
      expect.objectContaining({ at: new Date('2026-11-29T10:05:00Z'), name: 'web.1', cpu_percent: 50 }),
    ]);
    expect(await newestRollup(sql)).toEqual(new Date('2026-11-29T10:05:00Z'));

    // Run again, and again over a wider window: the same rows, none twice.
    expect(await rollUpPoints(sql, window)).toBe(4);
    await rollUpPoints(sql, { from: new Date('2026-11-29T09:00:00Z'), to: window.to });
    expect(await coarse(app)).toEqual(rolled);
  });

  it('stores every field of a batch as given, odd names and large counters too', async () => {
    const app = await newApp('exact');
    const odd = point(app, '2026-11-29T09:00:00.123Z', {
      kind: 'addon',
      type: 'a "quoted", {braced} \\ type',
      name: 'NULL',
      cpu_percent: 12.5,
      memory_limit_bytes: 64 * 1024 ** 3,
      rx_bytes: 2 ** 52,
      tx_bytes: 0,
      restarts: 7,
    });
    await insertPoints(sql, [odd, point(app, '2026-11-29T09:00:00.123Z', { name: 'web.2' })]);
    const rows = await readPoints(sql, app, { since: new Date('2026-11-29T08:00:00Z'), step: 10 });
    expect(rows).toHaveLength(2);
    expect(rows.find((row) => row.kind === 'addon')).toEqual(odd);
  });

  it('makes a bucket again with a point that came late, replacing its row', async () => {
    const app = await newApp('late');
    await insertPoints(sql, [point(app, '2026-11-29T11:00:00Z', { cpu_percent: 10, memory_bytes: 100 })]);
    const window = { from: new Date('2026-11-29T11:00:00Z'), to: new Date('2026-11-29T11:05:00Z') };
    await rollUpPoints(sql, window);
    await insertPoints(sql, [point(app, '2026-11-29T11:04:50Z', { cpu_percent: 30, memory_bytes: 400 })]);
    await rollUpPoints(sql, window);
    expect((await coarse(app)).map((p) => [p.at.toISOString(), p.cpu_percent, p.memory_bytes])).toEqual([
      ['2026-11-29T11:00:00.000Z', 20, 400],
    ]);
    expect(await rollUpPoints(sql, { from: window.to, to: window.to })).toBe(0);
  });

  it('prunes 10 s points after their day and 5-minute ones after their 30 days', async () => {
    const app = await newApp('pruned');
    await insertPoints(sql, [
      point(app, '2026-10-01T00:00:00Z'),
      point(app, '2026-11-29T12:00:00Z'),
      point(app, '2026-10-01T00:00:00Z', { step: 300 }),
      point(app, '2026-11-29T12:00:00Z', { step: 300, name: 'web.9' }),
    ]);
    const before = new Date('2026-11-29T00:00:00Z');
    await prunePoints(sql, [
      { step: 10, before },
      { step: 300, before: new Date('2026-10-30T00:00:00Z') },
    ]);
    const left = await sql<{ step: number; at: Date }[]>`select step, at from metric_samples where app_id = ${app}`;
    expect(left.map((row) => [row.step, row.at.toISOString()]).sort()).toEqual([
      [10, '2026-11-29T12:00:00.000Z'],
      [300, '2026-11-29T12:00:00.000Z'],
    ]);
  });

  it('drops only the points of an app destroyed meanwhile, and throws any other error', async () => {
    const kept = await newApp('kept');
    const gone = await newApp('gone');
    await deleteApp(sql, gone);
    await insertPoints(sql, [point(kept, '2026-11-29T13:00:00Z'), point(gone, '2026-11-29T13:00:00Z')]);
    const rows = await sql`select app_id from metric_samples where at = ${new Date('2026-11-29T13:00:00Z')}`;
    expect(rows.map((row) => row.app_id)).toEqual([kept]);

    // A check the table refuses (step 60) is no app gone: it is thrown, nothing stored.
    await expect(insertPoints(sql, [point(kept, '2026-11-29T13:00:10Z', { step: 60 })])).rejects.toMatchObject({
      code: '23514',
    });
    // Both at once: whichever Postgres reports first, a failure that is not a missing app is thrown.
    const broken = [point(gone, '2026-11-29T13:00:20Z'), point(kept, '2026-11-29T13:00:20Z', { step: 60 })];
    await expect(insertPoints(sql, broken)).rejects.toMatchObject({ code: '23514' });
  });

  it('does not retry app by app when the batch fails for anything but a missing app', async () => {
    // A stand-in for the connection: building the rows works, every query fails as a dropped connection does.
    const queries = vi.fn();
    const fakeSql = ((first: unknown) => {
      if (!Array.isArray(first) || !('raw' in first)) return { rows: first };
      queries();
      return Promise.reject(Object.assign(new Error('connection lost'), { code: 'ECONNRESET' }));
    }) as unknown as Sql;
    const rows = [point('a', '2026-11-29T13:00:00Z'), point('b', '2026-11-29T13:00:00Z')];
    await expect(insertPoints(fakeSql, rows)).rejects.toThrow('connection lost');
    expect(queries).toHaveBeenCalledTimes(1);
  });
});
