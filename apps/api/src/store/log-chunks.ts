import type { Sql } from './database.js';

/** One flush of one app's lines; `lines` is the JSON the log hub reads back. */
export interface NewChunk {
  app_id: string;
  line_count: number;
  /** When its newest line from the app's dynos was written (null: none). */
  app_last_at: Date | null;
  lines: string;
}

export interface ChunkRow {
  id: string;
  lines: string;
}

/**
 * Stores one flush. An app destroyed meanwhile takes its lines with it:
 * when the insert of all fails, each chunk is tried alone and a failing
 * one is dropped.
 */
export async function insertChunks(sql: Sql, chunks: NewChunk[]): Promise<void> {
  if (chunks.length === 0) return;
  try {
    await sql`insert into log_chunks ${sql(chunks)}`;
  } catch {
    for (const chunk of chunks) await sql`insert into log_chunks ${sql(chunk)}`.catch(() => {});
  }
}

/** The app's newest `limit` chunks older than chunk `before` (all, without it), newest first. */
export async function chunksBefore(
  sql: Sql,
  appId: string,
  page: { before: string | undefined; limit: number },
): Promise<ChunkRow[]> {
  return sql<ChunkRow[]>`
    select id, lines from log_chunks
    where app_id = ${appId} ${page.before ? sql`and id < ${page.before}` : sql``}
    order by id desc limit ${page.limit}`;
}

/** When the app's newest stored dyno line was written. */
export async function lastAppLineAt(sql: Sql, appId: string): Promise<Date | undefined> {
  const [row] = await sql<{ at: Date | null }[]>`select max(app_last_at) as at from log_chunks where app_id = ${appId}`;
  return row?.at ?? undefined;
}

/** Drops the app's chunks that lie wholly beyond its newest `keepLines` lines. */
export async function trimChunks(sql: Sql, appId: string, keepLines: number): Promise<void> {
  await sql`
    delete from log_chunks where id in (
      select id from (
        select id, sum(line_count) over (order by id desc) - line_count as newer
        from log_chunks where app_id = ${appId}) chunks
      where newer >= ${keepLines})`;
}

/** Bytes of stored log lines per app id. */
export async function logBytesByApp(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql<{ app_id: string; bytes: string }[]>`
    select app_id, sum(octet_length(lines))::bigint as bytes from log_chunks group by app_id`;
  return new Map(rows.map((row) => [row.app_id, Number(row.bytes)]));
}
