import type { Sql } from './database.js';

export interface AuditRow {
  id: string;
  app_name: string;
  actor: string;
  action: string;
  data: Record<string, unknown>;
  created_at: Date;
}

export async function insertAudit(
  sql: Sql,
  event: { appId: string | null; appName: string; actor: string; action: string; data?: Record<string, unknown> },
): Promise<void> {
  const data = sql.json((event.data ?? {}) as never);
  await sql`
    insert into audit_events (app_id, app_name, actor, action, data)
    values (${event.appId}, ${event.appName}, ${event.actor}, ${event.action}, ${data})`;
}

export async function listAudit(sql: Sql, appId: string, limit: number): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    select id::text, app_name, actor, action, data, created_at from audit_events
    where app_id = ${appId} order by id desc limit ${limit}`;
}
