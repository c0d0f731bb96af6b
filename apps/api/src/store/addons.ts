import type { Sql } from './database.js';

export interface AddonRow {
  id: string;
  app_id: string;
  name: string;
  provider: string;
  plan: string;
  attachment: string;
  credentials: Record<string, string>;
  created_at: Date;
}

export async function listAddons(sql: Sql, appId: string): Promise<AddonRow[]> {
  return sql<AddonRow[]>`select * from addons where app_id = ${appId} order by created_at`;
}

export async function findAddon(sql: Sql, appId: string, name: string): Promise<AddonRow | undefined> {
  const [row] = await sql<AddonRow[]>`select * from addons where app_id = ${appId} and name = ${name}`;
  return row;
}

export async function attachmentTaken(sql: Sql, appId: string, attachment: string): Promise<boolean> {
  const [row] = await sql`select 1 from addons where app_id = ${appId} and attachment = ${attachment}`;
  return row !== undefined;
}

export async function insertAddon(sql: Sql, addon: Omit<AddonRow, 'id' | 'created_at'>): Promise<AddonRow> {
  const [row] = await sql<AddonRow[]>`
    insert into addons (app_id, name, provider, plan, attachment, credentials)
    values (${addon.app_id}, ${addon.name}, ${addon.provider}, ${addon.plan}, ${addon.attachment}, ${sql.json(addon.credentials)})
    returning *`;
  return row!;
}

export async function deleteAddon(sql: Sql, id: string): Promise<void> {
  await sql`delete from addons where id = ${id}`;
}
