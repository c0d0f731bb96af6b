import type { MetricPoint } from '../metrics/rollup.js';
import type { Sql } from './database.js';

/** Most points one query returns (a few MB of JSON): past it, the newest are kept. */
export const MAX_POINTS_PER_QUERY = 20_000;

/**
 * Stores one tick's points in one insert. An app destroyed meanwhile takes
 * its points with it: when the batch fails, each app's rows are tried alone.
 */
export async function insertPoints(sql: Sql, points: MetricPoint[]): Promise<void> {
  if (points.length === 0) return;
  try {
    await sql`insert into metric_samples ${sql(points)}`;
  } catch {
    const byApp = new Map<string, MetricPoint[]>();
    for (const point of points) byApp.set(point.app_id, [...(byApp.get(point.app_id) ?? []), point]);
    for (const rows of byApp.values()) await sql`insert into metric_samples ${sql(rows)}`.catch(() => {});
  }
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
