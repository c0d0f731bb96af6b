import type { Sql } from './database.js';

export interface WebhookRow {
  id: string;
  app_id: string;
  url: string;
  include: string[];
  level: 'notify' | 'sync';
  secret: string;
  created_at: Date;
  updated_at: Date;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed';

export interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  include: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date | null;
  last_code: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  /** Each attempt's status code (null: no answer), oldest first. */
  codes: (number | null)[];
}

/** A delivery claimed for an attempt, with what the attempt needs. */
export interface DueDelivery {
  id: string;
  webhook_id: string;
  event_id: string;
  include: string;
  attempts: number;
  created_at: Date;
  url: string;
  level: 'notify' | 'sync';
  secret: string;
  body: Record<string, unknown>;
}

/** Most webhooks per app. */
export const MAX_WEBHOOKS_PER_APP = 10;
/** Deliveries of one webhook still waiting past this are given up at once: a dead receiver costs bounded rows. */
export const MAX_WAITING_PER_WEBHOOK = 1000;

const WAITING_TOO_MANY = `not sent: ${MAX_WAITING_PER_WEBHOOK} deliveries of this webhook were still waiting`;

export async function listWebhooks(sql: Sql, appId: string): Promise<WebhookRow[]> {
  return sql<WebhookRow[]>`select * from webhooks where app_id = ${appId} order by created_at, id`;
}

export async function findWebhook(sql: Sql, appId: string, id: string): Promise<WebhookRow | undefined> {
  const [row] = await sql<WebhookRow[]>`select * from webhooks where app_id = ${appId} and id = ${id}`;
  return row;
}

/** Undefined when the app already has MAX_WEBHOOKS_PER_APP webhooks (checked under the app row's lock). */
export async function insertWebhook(
  sql: Sql,
  hook: { appId: string; url: string; include: string[]; level: string; secret: string },
): Promise<WebhookRow | undefined> {
  return sql.begin(async (tx) => {
    await tx`select id from apps where id = ${hook.appId} for update`;
    const [{ count } = { count: 0 }] = await tx<{ count: number }[]>`
      select count(*)::int as count from webhooks where app_id = ${hook.appId}`;
    if (count >= MAX_WEBHOOKS_PER_APP) return undefined;
    const [row] = await tx<WebhookRow[]>`
      insert into webhooks (app_id, url, include, level, secret)
      values (${hook.appId}, ${hook.url}, ${hook.include}, ${hook.level}, ${hook.secret})
      returning *`;
    return row;
  }) as Promise<WebhookRow | undefined>;
}

export async function updateWebhook(
  sql: Sql,
  appId: string,
  id: string,
  changes: { url?: string; include?: string[]; level?: string; secret?: string },
): Promise<WebhookRow | undefined> {
  const [row] = await sql<WebhookRow[]>`
    update webhooks set
      url = coalesce(${changes.url ?? null}::text, url),
      include = coalesce(${changes.include ?? null}::text[], include),
      level = coalesce(${changes.level ?? null}::text, level),
      secret = coalesce(${changes.secret ?? null}::text, secret),
      updated_at = now()
    where app_id = ${appId} and id = ${id}
    returning *`;
  return row;
}

export async function deleteWebhook(sql: Sql, appId: string, id: string): Promise<boolean> {
  return (await sql`delete from webhooks where app_id = ${appId} and id = ${id}`).count === 1;
}

/**
 * Stores an event and one delivery per webhook of the app that includes it,
 * due at once; nothing at all when no webhook wants it. Returns how many
 * deliveries wait. A webhook with MAX_WAITING_PER_WEBHOOK deliveries still
 * waiting gets this one as failed.
 */
export async function insertEvent(
  sql: Sql,
  event: { id: string; appId: string; include: string; body: Record<string, unknown>; at: Date },
): Promise<number> {
  const rows = await sql<{ status: string }[]>`
    with hooks as (
      select w.id, (select count(*) from webhook_deliveries d
                    where d.webhook_id = w.id and d.status in ('pending', 'retrying')) as waiting
      from webhooks w where w.app_id = ${event.appId} and ${event.include} = any(w.include)),
    ev as (
      insert into webhook_events (id, app_id, include, body, created_at)
      select ${event.id}::uuid, ${event.appId}::uuid, ${event.include}::text, ${sql.json(event.body as never)}::jsonb,
        ${event.at}::timestamptz
      where exists (select 1 from hooks)
      returning id)
    insert into webhook_deliveries (webhook_id, event_id, status, next_attempt_at, last_error)
    select hooks.id, ev.id,
      case when hooks.waiting >= ${MAX_WAITING_PER_WEBHOOK} then 'failed' else 'pending' end,
      case when hooks.waiting >= ${MAX_WAITING_PER_WEBHOOK} then null else ${event.at}::timestamptz end,
      case when hooks.waiting >= ${MAX_WAITING_PER_WEBHOOK} then ${WAITING_TOO_MANY}::text end
    from hooks, ev
    returning status`;
  return rows.filter((row) => row.status === 'pending').length;
}

/**
 * Claims up to `limit` due deliveries for attempts: their next attempt moves
 * `leaseMs` ahead, so another pass (or platd after a crash mid-attempt)
 * takes them again only once the attempt has surely ended.
 */
export async function claimDueDeliveries(sql: Sql, limit: number, leaseMs: number): Promise<DueDelivery[]> {
  if (limit < 1) return [];
  return sql<DueDelivery[]>`
    with due as (
      select id from webhook_deliveries
      where status in ('pending', 'retrying') and next_attempt_at <= now()
      order by next_attempt_at limit ${limit}
      for update skip locked),
    claimed as (
      update webhook_deliveries d set next_attempt_at = now() + ${leaseMs} * interval '1 millisecond'
      from due where d.id = due.id
      returning d.id, d.webhook_id, d.event_id, d.attempts, d.created_at)
    select c.id, c.webhook_id, c.event_id, c.attempts, c.created_at, e.include, e.body, w.url, w.level, w.secret
    from claimed c join webhook_events e on e.id = c.event_id join webhooks w on w.id = c.webhook_id`;
}

/** Records one attempt and where the delivery stands after it. */
export async function recordAttempt(
  sql: Sql,
  attempt: {
    id: string;
    deliveryId: string;
    code: number | null;
    error: string | null;
    durationMs: number;
    status: DeliveryStatus;
    nextAttemptAt: Date | null;
  },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into webhook_attempts (id, delivery_id, code, error, duration_ms)
      values (${attempt.id}, ${attempt.deliveryId}, ${attempt.code}, ${attempt.error}, ${attempt.durationMs})`;
    await tx`
      update webhook_deliveries set status = ${attempt.status}, attempts = attempts + 1,
        next_attempt_at = ${attempt.nextAttemptAt}, last_code = ${attempt.code}, last_error = ${attempt.error},
        updated_at = now()
      where id = ${attempt.deliveryId}`;
  });
}

/** When the earliest waiting delivery is due, to sleep until then. */
export async function nextDueAt(sql: Sql): Promise<Date | undefined> {
  const [row] = await sql<{ at: Date | null }[]>`
    select min(next_attempt_at) as at from webhook_deliveries where status in ('pending', 'retrying')`;
  return row?.at ?? undefined;
}

/** The app's newest deliveries, with each attempt's status code. */
export async function listDeliveries(
  sql: Sql,
  appId: string,
  options: { webhookId?: string; limit: number },
): Promise<DeliveryRow[]> {
  return sql<DeliveryRow[]>`
    select d.id, d.webhook_id, d.event_id, e.include, d.status, d.attempts, d.next_attempt_at, d.last_code,
      d.last_error, d.created_at, d.updated_at,
      coalesce((select json_agg(a.code order by a.created_at, a.id) from webhook_attempts a
                where a.delivery_id = d.id), '[]'::json) as codes
    from webhook_deliveries d
    join webhooks w on w.id = d.webhook_id
    join webhook_events e on e.id = d.event_id
    where w.app_id = ${appId} ${options.webhookId ? sql`and w.id = ${options.webhookId}` : sql``}
    order by d.created_at desc, d.id desc
    limit ${options.limit}`;
}

/** Events older than this are deleted with their deliveries (all long finished: retries stop after 24 h). */
export async function pruneEvents(sql: Sql, olderThanMs: number): Promise<number> {
  return (await sql`delete from webhook_events where created_at < now() - ${olderThanMs} * interval '1 millisecond'`)
    .count;
}
