import type { Stage } from '../pipelines/promotion-plan.js';
import type { Sql } from './database.js';

export interface PipelineRow {
  id: string;
  name: string;
  owner_id: string;
  owner_email: string;
  created_at: Date;
}

/** An app of a pipeline, with what its current release runs (for pipelines:info and diff). */
export interface CoupledAppRow {
  app_id: string;
  app_name: string;
  stage: Stage;
  /** The current release's version and the commit its build was made from (a promoted release: the source's). */
  release_version: number | null;
  commit: string | null;
}

export interface ReviewAppRow {
  app_id: string;
  app_name: string;
  pipeline_id: string;
  pipeline_name: string;
  source_app_name: string | null;
  branch: string;
  source_commit: string;
  expires_at: Date | null;
  created_at: Date;
}

const pipelineColumns = (sql: Sql) => sql`
  pipelines.id, pipelines.name, pipelines.owner_id, users.email as owner_email, pipelines.created_at`;

/**
 * Makes a pipeline with its first app in one transaction: a name that is
 * taken, or an app already in a pipeline, leaves nothing behind.
 */
export async function insertPipeline(
  sql: Sql,
  pipeline: { name: string; ownerId: string; appId: string; stage: Stage },
): Promise<{ pipeline?: PipelineRow; taken?: 'name' | 'app' }> {
  const taken = (await sql.begin(async (tx) => {
    const [created] = await tx<{ id: string }[]>`
      insert into pipelines (name, owner_id) values (${pipeline.name}, ${pipeline.ownerId})
      on conflict (name) do nothing returning id`;
    if (!created) return 'name';
    const [coupled] = await tx`
      insert into pipeline_couplings (app_id, pipeline_id, stage)
      values (${pipeline.appId}, ${created.id}, ${pipeline.stage})
      on conflict (app_id) do nothing returning app_id`;
    if (!coupled) {
      await tx`delete from pipelines where id = ${created.id}`;
      return 'app';
    }
    return undefined;
  })) as 'name' | 'app' | undefined;
  return taken ? { taken } : { pipeline: (await findPipeline(sql, pipeline.name))! };
}

export async function findPipeline(sql: Sql, name: string): Promise<PipelineRow | undefined> {
  const [row] = await sql<PipelineRow[]>`
    select ${pipelineColumns(sql)} from pipelines join users on users.id = pipelines.owner_id
    where pipelines.name = ${name}`;
  return row;
}

/** Pipelines the user owns or that hold an app they may use (all of them for admins). */
export async function listPipelinesFor(sql: Sql, user: { id: string; admin: boolean }): Promise<PipelineRow[]> {
  return sql<PipelineRow[]>`
    select ${pipelineColumns(sql)} from pipelines join users on users.id = pipelines.owner_id
    where ${user.admin}
       or pipelines.owner_id = ${user.id}
       or exists (
         select 1 from pipeline_couplings pc join apps on apps.id = pc.app_id
         where pc.pipeline_id = pipelines.id
           and (apps.owner_id = ${user.id}
                or exists (select 1 from collaborators c where c.app_id = apps.id and c.user_id = ${user.id})))
    order by pipelines.name`;
}

/** Whether the user may see the pipeline: its owner, or someone who may use one of its apps. */
export async function canSeePipeline(
  sql: Sql,
  pipelineId: string,
  user: { id: string; admin: boolean },
): Promise<boolean> {
  if (user.admin) return true;
  const [row] = await sql`
    select 1 from pipelines where id = ${pipelineId} and (owner_id = ${user.id} or exists (
      select 1 from pipeline_couplings pc join apps on apps.id = pc.app_id
      where pc.pipeline_id = pipelines.id
        and (apps.owner_id = ${user.id}
             or exists (select 1 from collaborators c where c.app_id = apps.id and c.user_id = ${user.id}))))`;
  return row !== undefined;
}

/** Adds the app in a stage; false when it is in a pipeline already (this one or another). */
export async function coupleApp(sql: Sql, pipelineId: string, appId: string, stage: Stage): Promise<boolean> {
  const rows = await sql`
    insert into pipeline_couplings (app_id, pipeline_id, stage) values (${appId}, ${pipelineId}, ${stage})
    on conflict (app_id) do nothing`;
  return rows.count === 1;
}

export async function uncoupleApp(sql: Sql, pipelineId: string, appId: string): Promise<boolean> {
  const rows = await sql`delete from pipeline_couplings where pipeline_id = ${pipelineId} and app_id = ${appId}`;
  return rows.count === 1;
}

/** The pipeline an app is in, and its stage there. */
export async function couplingOf(
  sql: Sql,
  appId: string,
): Promise<{ pipeline: PipelineRow; stage: Stage } | undefined> {
  const [row] = await sql<(PipelineRow & { stage: Stage })[]>`
    select ${pipelineColumns(sql)}, pc.stage from pipeline_couplings pc
    join pipelines on pipelines.id = pc.pipeline_id join users on users.id = pipelines.owner_id
    where pc.app_id = ${appId}`;
  if (!row) return undefined;
  const { stage, ...pipeline } = row;
  return { pipeline, stage };
}

/** The pipeline's apps by stage order then name, each with its current release and that release's commit. */
export async function pipelineApps(sql: Sql, pipelineId: string): Promise<CoupledAppRow[]> {
  return sql<CoupledAppRow[]>`
    select apps.id as app_id, apps.name as app_name, pc.stage, cur.version as release_version,
           builds.source_commit as commit
    from pipeline_couplings pc join apps on apps.id = pc.app_id
    left join lateral (
      select version, build_id from releases
      where releases.app_id = apps.id and releases.status = 'succeeded' and releases.image is not null
      order by version desc limit 1) cur on true
    left join builds on builds.id = cur.build_id
    where pc.pipeline_id = ${pipelineId} and not apps.destroying
    order by array_position(array['review', 'development', 'staging', 'production'], pc.stage), apps.name`;
}

export async function insertReviewApp(
  sql: Sql,
  row: {
    appId: string;
    pipelineId: string;
    sourceAppId: string;
    branch: string;
    commit: string;
    expiresAt: Date;
  },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into pipeline_couplings (app_id, pipeline_id, stage) values (${row.appId}, ${row.pipelineId}, 'review')`;
    await tx`
      insert into review_apps (app_id, pipeline_id, source_app_id, branch, source_commit, expires_at)
      values (${row.appId}, ${row.pipelineId}, ${row.sourceAppId}, ${row.branch}, ${row.commit}, ${row.expiresAt})`;
  });
}

/** Gives the source app's owner and collaborators the use of its review app (whoever made it owns it). */
export async function shareReviewApp(sql: Sql, reviewAppId: string, sourceAppId: string): Promise<void> {
  await sql`
    insert into collaborators (app_id, user_id)
    select ${reviewAppId}, team.user_id from (
      select user_id from collaborators where app_id = ${sourceAppId}
      union select owner_id from apps where id = ${sourceAppId}) team
    where team.user_id <> (select owner_id from apps where id = ${reviewAppId})
    on conflict do nothing`;
}

const reviewColumns = (sql: Sql) => sql`
  ra.app_id, apps.name as app_name, ra.pipeline_id, pipelines.name as pipeline_name,
  source.name as source_app_name, ra.branch, ra.source_commit, ra.expires_at, ra.created_at`;

export async function listReviewApps(sql: Sql, pipelineId: string): Promise<ReviewAppRow[]> {
  return sql<ReviewAppRow[]>`
    select ${reviewColumns(sql)} from review_apps ra
    join apps on apps.id = ra.app_id join pipelines on pipelines.id = ra.pipeline_id
    left join apps source on source.id = ra.source_app_id
    where ra.pipeline_id = ${pipelineId} order by ra.created_at`;
}

export async function findReviewApp(sql: Sql, appId: string): Promise<ReviewAppRow | undefined> {
  const [row] = await sql<ReviewAppRow[]>`
    select ${reviewColumns(sql)} from review_apps ra
    join apps on apps.id = ra.app_id join pipelines on pipelines.id = ra.pipeline_id
    left join apps source on source.id = ra.source_app_id
    where ra.app_id = ${appId}`;
  return row;
}

/** Review apps whose TTL has passed by `now`, oldest first. */
export async function expiredReviewApps(sql: Sql, now: Date): Promise<ReviewAppRow[]> {
  return sql<ReviewAppRow[]>`
    select ${reviewColumns(sql)} from review_apps ra
    join apps on apps.id = ra.app_id join pipelines on pipelines.id = ra.pipeline_id
    left join apps source on source.id = ra.source_app_id
    where ra.expires_at <= ${now} order by ra.expires_at limit 100`;
}
