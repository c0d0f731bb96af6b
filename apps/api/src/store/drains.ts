import type { Sql } from './database.js';

export interface LogDrainRow {
  id: string;
  app_id: string;
  url: string;
  token: string;
  created_at: Date;
}

/** A drain with the name its app has now, for following the app's router log. */
export interface LogDrainTarget extends LogDrainRow {
  app_name: string;
}

export async function listLogDrains(sql: Sql, appId: string): Promise<LogDrainRow[]> {
  return sql<LogDrainRow[]>`
    select id, app_id, url, token, created_at from log_drains where app_id = ${appId} order by created_at, id`;
}

/** Every drain of every app that is not being destroyed: what platd delivers to. */
export async function allLogDrains(sql: Sql): Promise<LogDrainTarget[]> {
  return sql<LogDrainTarget[]>`
    select d.id, d.app_id, d.url, d.token, d.created_at, a.name as app_name
    from log_drains d join apps a on a.id = d.app_id
    where not a.destroying
    order by d.created_at, d.id`;
}

/**
 * Adds a drain unless the app has `max` already; undefined when the URL is
 * already one of the app's drains. The app's row is locked for the count, so
 * two racing adds cannot both pass it.
 */
export async function insertLogDrain(
  sql: Sql,
  drain: { appId: string; url: string; token: string; max: number },
): Promise<{ row?: LogDrainRow; full: boolean }> {
  return sql.begin(async (tx) => {
    // Serialises adds to one app: the count below then sees every committed drain.
    await tx`select id from apps where id = ${drain.appId} for update`;
    const [counted] = await tx<{ count: number }[]>`
      select count(*)::int as count from log_drains where app_id = ${drain.appId}`;
    if ((counted?.count ?? 0) >= drain.max) return { full: true };
    const [row] = await tx<LogDrainRow[]>`
      insert into log_drains (app_id, url, token) values (${drain.appId}, ${drain.url}, ${drain.token})
      on conflict (app_id, url) do nothing
      returning id, app_id, url, token, created_at`;
    return row ? { row, full: false } : { full: false };
  }) as Promise<{ row?: LogDrainRow; full: boolean }>;
}

/** Removes the app's drain named by its id or its token; the removed row, if there was one. */
export async function deleteLogDrain(sql: Sql, appId: string, idOrToken: string): Promise<LogDrainRow | undefined> {
  const isId = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrToken);
  const [row] = isId
    ? await sql<LogDrainRow[]>`
        delete from log_drains where app_id = ${appId} and id = ${idOrToken}
        returning id, app_id, url, token, created_at`
    : await sql<LogDrainRow[]>`
        delete from log_drains where app_id = ${appId} and token = ${idOrToken}
        returning id, app_id, url, token, created_at`;
  return row;
}
