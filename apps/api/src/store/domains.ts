import type { Sql } from './database.js';

export interface DomainRow {
  id: string;
  hostname: string;
  created_at: Date;
}

export async function listDomains(sql: Sql, appId: string): Promise<DomainRow[]> {
  return sql<DomainRow[]>`select id, hostname, created_at from domains where app_id = ${appId} order by hostname`;
}

/** Undefined when another app (or this one) already has the hostname. */
export async function insertDomain(sql: Sql, appId: string, hostname: string): Promise<DomainRow | undefined> {
  const [row] = await sql<DomainRow[]>`
    insert into domains (app_id, hostname) values (${appId}, ${hostname})
    on conflict (hostname) do nothing
    returning id, hostname, created_at`;
  return row;
}

export async function deleteDomain(sql: Sql, appId: string, hostname: string): Promise<boolean> {
  const rows = await sql`delete from domains where app_id = ${appId} and hostname = ${hostname}`;
  return rows.count === 1;
}
