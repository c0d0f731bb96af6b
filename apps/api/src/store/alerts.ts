import type { Sql } from './database.js';

export interface AlertRow {
  id: string;
  app_id: string | null;
  /** Null for platform alerts. */
  app_name: string | null;
  kind: string;
  subject: string;
  message: string;
  opened_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
}

const NO_APP = '00000000-0000-0000-0000-000000000000';

/**
 * Opens an alert, or updates the message of the one already open for the
 * same app, kind and subject; `opened` says whether it is new.
 */
export async function openAlert(
  sql: Sql,
  alert: { appId: string | null; kind: string; subject: string; message: string },
): Promise<{ row: AlertRow; opened: boolean }> {
  const [row] = await sql<(AlertRow & { opened: boolean })[]>`
    with upserted as (
      insert into alerts (app_id, kind, subject, message) values (${alert.appId}, ${alert.kind}, ${alert.subject},
        ${alert.message})
      on conflict (coalesce(app_id, ${NO_APP}::uuid), kind, subject) where resolved_at is null
      do update set message = excluded.message, updated_at = now()
      returning *, (xmax = 0) as opened)
    select u.*, a.name as app_name from upserted u left join apps a on a.id = u.app_id`;
  const { opened, ...rest } = row!;
  return { row: rest, opened };
}

/** Resolves the open alert, if there is one; returns it. */
export async function resolveAlert(
  sql: Sql,
  alert: { appId: string | null; kind: string; subject: string },
): Promise<AlertRow | undefined> {
  const [row] = await sql<AlertRow[]>`
    with resolved as (
      update alerts set resolved_at = now(), updated_at = now()
      where app_id is not distinct from ${alert.appId}::uuid and kind = ${alert.kind} and subject = ${alert.subject}
        and resolved_at is null
      returning *)
    select r.*, a.name as app_name from resolved r left join apps a on a.id = r.app_id`;
  return row;
}

/** Open alerts of these kinds, across every app and the platform. */
export async function openAlertsOf(sql: Sql, kinds: readonly string[]): Promise<AlertRow[]> {
  return sql<AlertRow[]>`
    select al.*, a.name as app_name from alerts al left join apps a on a.id = al.app_id
    where al.resolved_at is null and al.kind = any(${kinds as string[]})`;
}

/**
 * Alerts of these apps and of the platform, newest first: open ones only,
 * or also those resolved.
 */
export async function listAlerts(
  sql: Sql,
  options: { appIds: string[]; resolved: boolean; limit: number },
): Promise<AlertRow[]> {
  return sql<AlertRow[]>`
    select al.*, a.name as app_name from alerts al left join apps a on a.id = al.app_id
    where (al.app_id is null or al.app_id = any(${options.appIds}::uuid[]))
      ${options.resolved ? sql`` : sql`and al.resolved_at is null`}
    order by al.opened_at desc, al.id desc
    limit ${options.limit}`;
}

/** Resolved alerts older than this are deleted. */
export async function pruneResolvedAlerts(sql: Sql, olderThanMs: number): Promise<number> {
  return (
    await sql`delete from alerts
      where resolved_at is not null and resolved_at < now() - ${olderThanMs} * interval '1 millisecond'`
  ).count;
}

/** Every app that is not being destroyed: platform alerts reach each one's log and webhooks. */
export async function liveApps(sql: Sql): Promise<{ id: string; name: string }[]> {
  return sql<{ id: string; name: string }[]>`select id, name from apps where not destroying order by name`;
}

export interface CertificateAlertRow {
  /** Null for the platform's own (the API domain's). */
  app_id: string | null;
  source: 'manual' | 'acme';
  hostname: string | null;
  hostnames: string[];
  not_after: Date | null;
  failures: number;
  last_error: string | null;
}

/** What the certificate alerts look at: every live app's, and the platform's own. */
export async function certificatesForAlerts(sql: Sql): Promise<CertificateAlertRow[]> {
  return sql<CertificateAlertRow[]>`
    select c.app_id, c.source, c.hostname, c.hostnames,
      case when c.chain_pem is null then null else c.not_after end as not_after, c.failures, c.last_error
    from certificates c left join apps a on a.id = c.app_id
    where c.app_id is null or not a.destroying`;
}
