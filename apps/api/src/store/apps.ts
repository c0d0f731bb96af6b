import type { Sql } from './database.js';

export interface AppRow {
  id: string;
  name: string;
  owner_id: string;
  owner_email: string;
  stack: string;
  maintenance: boolean;
  created_at: Date;
  updated_at: Date;
}

const columns = (sql: Sql) => sql`
  apps.id, apps.name, apps.owner_id, users.email as owner_email, apps.stack, apps.maintenance,
  apps.created_at, apps.updated_at`;

export async function insertApp(sql: Sql, name: string, ownerId: string): Promise<AppRow | undefined> {
  const [inserted] = await sql<{ id: string }[]>`
    insert into apps (name, owner_id) values (${name}, ${ownerId})
    on conflict (name) do nothing
    returning id`;
  if (!inserted) return undefined;
  await sql`insert into formations (app_id, type, quantity) values (${inserted.id}, 'web', 1)`;
  return findApp(sql, name);
}

export async function findApp(sql: Sql, name: string): Promise<AppRow | undefined> {
  const [row] = await sql<AppRow[]>`
    select ${columns(sql)} from apps join users on users.id = apps.owner_id where apps.name = ${name}`;
  return row;
}

export async function listApps(sql: Sql, options: { ownerId?: string }): Promise<AppRow[]> {
  return sql<AppRow[]>`
    select ${columns(sql)} from apps join users on users.id = apps.owner_id
    where ${options.ownerId === undefined ? sql`true` : sql`apps.owner_id = ${options.ownerId}`}
    order by apps.name`;
}

export async function listAppNames(sql: Sql): Promise<string[]> {
  return (await sql<{ name: string }[]>`select name from apps order by name`).map((row) => row.name);
}

export async function configVars(sql: Sql, appId: string): Promise<Record<string, string>> {
  const rows = await sql<{ key: string; value: string }[]>`select key, value from config_vars where app_id = ${appId} order by key`;
  return Object.fromEntries(rows.map((row) => [row.key, row.value]));
}

export interface FormationRow {
  type: string;
  quantity: number;
  size: string;
}

export async function formation(sql: Sql, appId: string): Promise<FormationRow[]> {
  return sql<FormationRow[]>`select type, quantity, size from formations where app_id = ${appId} order by type`;
}
