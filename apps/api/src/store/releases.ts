import type { ProcessTypes } from '@plat/core';
import type { Sql } from './database.js';

export interface ReleaseRow {
  id: string;
  app_id: string;
  version: number;
  description: string;
  status: 'pending' | 'succeeded' | 'failed';
  build_id: string | null;
  /** The commit its image was built from (dyno metadata's PLAT_SLUG_COMMIT). */
  source_commit: string | null;
  image: string | null;
  config: Record<string, string>;
  process_types: ProcessTypes;
  /** Seconds per phase of its rollout (release, start, ready, route); null before it ran. */
  timings: Record<string, number> | null;
  created_at: Date;
}

/**
 * Creates the next release. The version comes from the app row's counter,
 * taken under that row's lock, so concurrent releases never share a version.
 */
export async function insertRelease(
  sql: Sql,
  appId: string,
  release: {
    description: string;
    buildId?: string | null;
    image: string | null;
    config: Record<string, string>;
    processTypes: ProcessTypes;
  },
): Promise<ReleaseRow> {
  return sql.begin(async (tx) => {
    const [seq] = await tx<{ release_seq: number }[]>`
      update apps set release_seq = release_seq + 1, updated_at = now() where id = ${appId} returning release_seq`;
    const [row] = await tx<ReleaseRow[]>`
      insert into releases (app_id, version, description, build_id, source_commit, image, config, process_types)
      values (${appId}, ${seq!.release_seq}, ${release.description}, ${release.buildId ?? null},
              (select source_commit from builds where id = ${release.buildId ?? null}), ${release.image},
              ${tx.json(release.config)}, ${tx.json(release.processTypes)})
      returning *`;
    return row!;
  }) as Promise<ReleaseRow>;
}

/** Releases a platd exit left pending mid-rollout: they never became current. Returns how many. */
export async function failPendingReleases(sql: Sql): Promise<number> {
  return (await sql`update releases set status = 'failed' where status = 'pending'`).count;
}

/**
 * Images releases still need: each app's newest `keepPerApp`, its current
 * one, and any being rolled out.
 */
export async function releaseImagesInUse(sql: Sql, keepPerApp: number): Promise<string[]> {
  const rows = await sql<{ image: string }[]>`
    select image from (
      select image, status, row_number() over (partition by app_id order by version desc) as rank
      from releases where image is not null) ranked
    where rank <= ${keepPerApp} or status = 'pending'
    union
    select image from (
      select distinct on (app_id) image from releases
      where status = 'succeeded' and image is not null order by app_id, version desc) current`;
  return rows.map((row) => row.image);
}

export async function setReleaseStatus(
  sql: Sql,
  id: string,
  status: 'succeeded' | 'failed',
  timings?: Record<string, number>,
): Promise<void> {
  await sql`update releases set status = ${status}, timings = ${timings ? sql.json(timings) : null} where id = ${id}`;
}

/**
 * The release that should be running: the newest one that succeeded with an
 * image. Releases made before an app's first deploy (v1 "Initial release",
 * config changes) have none, and run nothing.
 */
export async function currentRelease(sql: Sql, appId: string): Promise<ReleaseRow | undefined> {
  const [row] = await sql<ReleaseRow[]>`
    select * from releases where app_id = ${appId} and status = 'succeeded' and image is not null
    order by version desc limit 1`;
  return row;
}

/**
 * The app's newest release that succeeded, with an image or not: the head of
 * its config history, and what `plat releases` marks current (Heroku's). Once
 * the app has deployed, every later release carries an image, so this is the
 * running one then.
 */
export async function latestRelease(sql: Sql, appId: string): Promise<ReleaseRow | undefined> {
  const [row] = await sql<ReleaseRow[]>`
    select * from releases where app_id = ${appId} and status = 'succeeded' order by version desc limit 1`;
  return row;
}

export async function listReleases(sql: Sql, appId: string): Promise<ReleaseRow[]> {
  return sql<ReleaseRow[]>`select * from releases where app_id = ${appId} order by version desc`;
}

/** By version (`3`, `v3`) or id. */
export async function findRelease(sql: Sql, appId: string, ref: string | number): Promise<ReleaseRow | undefined> {
  const text = String(ref);
  const version = /^v?(\d{1,9})$/.exec(text)?.[1];
  if (version) {
    const [row] = await sql<
      ReleaseRow[]
    >`select * from releases where app_id = ${appId} and version = ${Number(version)}`;
    return row;
  }
  if (!/^[0-9a-f-]{36}$/.test(text)) return undefined;
  const [row] = await sql<ReleaseRow[]>`select * from releases where app_id = ${appId} and id = ${text}`;
  return row;
}
