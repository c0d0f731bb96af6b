import { COARSE_STEP, FINE_STEP, type MetricPoint } from '../metrics/rollup.js';
import type { Sql } from './database.js';

/** Most points one query returns (a few MB of JSON): past it, the newest are kept. */
export const MAX_POINTS_PER_QUERY = 20_000;

/** Postgres's foreign_key_violation: the row's app was destroyed (and its points with it) meanwhile. */
const FOREIGN_KEY_VIOLATION = '23503';

const isForeignKeyViolation = (error: unknown) =>
  (error as { code?: unknown } | undefined)?.code === FOREIGN_KEY_VIOLATION;

/**
 * Inserts rows as one array per column, unnested by Postgres: 12 parameters
 * and the same statement whatever the number of rows. A VALUES list took 12
 * per row (1 200 for 100 dynos, each typed and encoded apart, in a statement
 * text that changed with the count): most of platd's idle time in Postgres's
 * client with many apps, every 10 s.
 */
function insertRows(sql: Sql, rows: MetricPoint[]) {
  const column = <K extends keyof MetricPoint>(key: K) => rows.map((row) => row[key]);
  // As text: the client types a Date array as one timestamptz, which Postgres will not cast to an array.
  const at = rows.map((row) => row.at.toISOString());
  return sql`
    insert into metric_samples (app_id, at, step, kind, type, name, cpu_percent, memory_bytes,
      memory_limit_bytes, rx_bytes, tx_bytes, restarts)
    select * from unnest(${column('app_id')}::uuid[], ${at}::timestamptz[],
      ${column('step')}::smallint[], ${column('kind')}::text[], ${column('type')}::text[],
      ${column('name')}::text[], ${column('cpu_percent')}::real[], ${column('memory_bytes')}::bigint[],
      ${column('memory_limit_bytes')}::bigint[], ${column('rx_bytes')}::bigint[], ${column('tx_bytes')}::bigint[],
      ${column('restarts')}::integer[])`;
}

/**
 * Stores one tick's points in one insert. An app destroyed meanwhile takes
 * its points with it: when the batch fails for that, each app's rows are
 * tried alone and those of apps gone are dropped. Any other failure throws.
 */
export async function insertPoints(sql: Sql, points: MetricPoint[]): Promise<void> {
  if (points.length === 0) return;
  try {
    await insertRows(sql, points);
  } catch (error) {
    if (!isForeignKeyViolation(error)) throw error;
    const byApp = new Map<string, MetricPoint[]>();
    for (const point of points) byApp.set(point.app_id, [...(byApp.get(point.app_id) ?? []), point]);
    for (const rows of byApp.values()) {
      try {
        await insertRows(sql, rows);
      } catch (error) {
        if (!isForeignKeyViolation(error)) throw error;
      }
    }
  }
}

/** The start of the newest 5-minute bucket rolled up, if any (the (step, at) index finds it). */
export async function newestRollup(sql: Sql, step = COARSE_STEP): Promise<Date | undefined> {
  const [row] = await sql<{ at: Date | null }[]>`select max(at) as at from metric_samples where step = ${step}`;
  return row?.at ?? undefined;
}

/**
 * Rolls the 10 s points from `from` to `to` (bucket starts) into one point
 * per container and 5-minute bucket, the way the charts read them: CPU
 * averaged; memory, its limit and the restarts at the bucket's highest (a
 * peak must not vanish in an average); the network counters, which only
 * grow, and the type at the bucket's last point. A bucket rolled up again
 * replaces its row (metric_samples_rollup, migration 024): idempotent.
 * Returns the rows written.
 */
export async function rollUpPoints(sql: Sql, window: { from: Date; to: Date }): Promise<number> {
  if (window.from >= window.to) return 0;
  // The conflict target names the partial index's predicate as written there (step = 300): a parameter
  // would not let Postgres infer the index.
  const result = await sql`
    insert into metric_samples (app_id, at, step, kind, type, name, cpu_percent, memory_bytes,
      memory_limit_bytes, rx_bytes, tx_bytes, restarts)
    select app_id, bucket, ${COARSE_STEP}::smallint, kind, (array_agg(type order by at desc))[1], name,
      round(avg(cpu_percent)::numeric, 2), max(memory_bytes), max(memory_limit_bytes),
      (array_agg(rx_bytes order by at desc))[1], (array_agg(tx_bytes order by at desc))[1], max(restarts)
    from (
      select *, to_timestamp(floor(extract(epoch from at) / ${COARSE_STEP}::int) * ${COARSE_STEP}::int) as bucket
      from metric_samples
      where step = ${FINE_STEP} and at >= ${window.from} and at < ${window.to}
    ) fine
    group by app_id, kind, name, bucket
    on conflict (app_id, kind, name, at) where step = 300 do update set
      type = excluded.type, cpu_percent = excluded.cpu_percent, memory_bytes = excluded.memory_bytes,
      memory_limit_bytes = excluded.memory_limit_bytes, rx_bytes = excluded.rx_bytes,
      tx_bytes = excluded.tx_bytes, restarts = excluded.restarts`;
  return result.count;
}

/** Drops points of each resolution older than it is kept. */
export async function prunePoints(sql: Sql, keep: { step: number; before: Date }[]): Promise<number> {
  let removed = 0;
  for (const { step, before } of keep) {
    const result = await sql`delete from metric_samples where step = ${step} and at < ${before}`;
    removed += result.count;
  }
  return removed;
}

/**
 * The app's points of one resolution since `since`, oldest first; of one type
 * (process type or add-on) when named. Past `limit` points the newest are
 * kept, whole times only (no series loses its last point to the cut).
 */
export async function readPoints(
  sql: Sql,
  appId: string,
  query: { since: Date; step: number; type?: string; limit?: number },
): Promise<MetricPoint[]> {
  const limit = query.limit ?? MAX_POINTS_PER_QUERY;
  const rows = await sql<
    (Omit<MetricPoint, 'memory_bytes' | 'memory_limit_bytes' | 'rx_bytes' | 'tx_bytes'> & {
      memory_bytes: string;
      memory_limit_bytes: string;
      rx_bytes: string;
      tx_bytes: string;
    })[]
  >`
    select app_id, at, step, kind, type, name, cpu_percent, memory_bytes, memory_limit_bytes,
      rx_bytes, tx_bytes, restarts
    from metric_samples
    where app_id = ${appId} and step = ${query.step} and at >= ${query.since}
      ${query.type ? sql`and type = ${query.type}` : sql``}
    order by at desc, name desc limit ${limit}`;
  rows.reverse();
  // Cut short: the oldest time may have only some of its containers' points.
  const cut = rows.length === limit && rows.length > 0 ? rows.findIndex((row) => row.at > rows[0]!.at) : 0;
  return rows.slice(Math.max(0, cut)).map((row) => ({
    ...row,
    memory_bytes: Number(row.memory_bytes),
    memory_limit_bytes: Number(row.memory_limit_bytes),
    rx_bytes: Number(row.rx_bytes),
    tx_bytes: Number(row.tx_bytes),
  }));
}
