import type { ProcessTypes } from '@plat/core';
import type { Sql } from './database.js';

export interface BuildRow {
  id: string;
  app_id: string;
  status: 'pending' | 'succeeded' | 'failed';
  source_commit: string;
  buildpack: string | null;
  image: string | null;
  process_types: ProcessTypes | null;
  output: string;
  /** Seconds per phase (receive, archive, detect, build); null for builds before timings. */
  timings: Record<string, number> | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertBuild(sql: Sql, appId: string, commit: string): Promise<BuildRow> {
  const [row] = await sql<
    BuildRow[]
  >`insert into builds (app_id, source_commit) values (${appId}, ${commit}) returning *`;
  return row!;
}

export async function finishBuild(
  sql: Sql,
  id: string,
  result: {
    status: 'succeeded' | 'failed';
    output: string;
    buildpack?: string;
    image?: string;
    processTypes?: ProcessTypes;
    timings?: Record<string, number>;
  },
): Promise<void> {
  await sql`
    update builds set status = ${result.status}, output = ${result.output}, buildpack = ${result.buildpack ?? null},
      image = ${result.image ?? null}, process_types = ${result.processTypes ? sql.json(result.processTypes) : null},
      timings = ${result.timings ? sql.json(result.timings) : null}, updated_at = now()
    where id = ${id}`;
}

export async function listBuilds(sql: Sql, appId: string): Promise<BuildRow[]> {
  return sql<BuildRow[]>`select * from builds where app_id = ${appId} order by created_at desc, id`;
}

export async function findBuild(sql: Sql, appId: string, id: string): Promise<BuildRow | undefined> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return undefined;
  const [row] = await sql<BuildRow[]>`select * from builds where app_id = ${appId} and id = ${id}`;
  return row;
}

/**
 * Fails the builds a platd exit cut short: nothing is building them any
 * more. Called at start-up, before platd takes pushes; returns how many.
 */
export async function failInterruptedBuilds(sql: Sql): Promise<number> {
  const note = ' !     Build interrupted by a platd restart';
  const result = await sql`
    update builds set status = 'failed', updated_at = now(),
      output = case when output = '' then ${note} else output || ${`\n${note}`} end
    where status = 'pending'`;
  return result.count;
}

/**
 * Builds pending and younger than `maxAgeSeconds` (an older pending one is
 * past its timeout), with the second before each began.
 */
export async function recentPendingBuilds(
  sql: Sql,
  maxAgeSeconds: number,
): Promise<{ appId: string; startedBefore: number }[]> {
  const rows = await sql<{ app_id: string; at: string }[]>`
    select app_id, floor(extract(epoch from created_at))::bigint - 1 as at from builds
    where status = 'pending' and created_at > now() - make_interval(secs => ${maxAgeSeconds})`;
  return rows.map((row) => ({ appId: row.app_id, startedBefore: Number(row.at) }));
}
