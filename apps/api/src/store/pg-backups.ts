import type { Sql } from './database.js';

/** A pg_dump of a postgres add-on: bN per app, its file in the data dir. */
export interface BackupRow {
  id: string;
  app_id: string;
  number: number;
  addon_name: string;
  file: string;
  size_bytes: number;
  created_at: Date;
}

/** The app's backups, newest first. */
export async function listAppBackups(sql: Sql, appId: string): Promise<BackupRow[]> {
  return sql<BackupRow[]>`select * from pg_backups where app_id = ${appId} order by number desc`;
}

export async function addonBackups(sql: Sql, appId: string, addonName: string): Promise<BackupRow[]> {
  return sql<BackupRow[]>`select * from pg_backups where app_id = ${appId} and addon_name = ${addonName}`;
}

export async function findBackup(sql: Sql, appId: string, number: number): Promise<BackupRow | undefined> {
  const [row] = await sql<BackupRow[]>`select * from pg_backups where app_id = ${appId} and number = ${number}`;
  return row;
}

/** Records a captured dump as the app's next backup number. */
export async function insertBackup(
  sql: Sql,
  backup: { appId: string; addonName: string; file: string; sizeBytes: number },
): Promise<BackupRow> {
  const [row] = await sql<BackupRow[]>`
    insert into pg_backups (app_id, number, addon_name, file, size_bytes)
    values (${backup.appId}, (select coalesce(max(number), 0) + 1 from pg_backups where app_id = ${backup.appId}),
            ${backup.addonName}, ${backup.file}, ${backup.sizeBytes})
    returning *`;
  return row!;
}

export async function deleteBackup(sql: Sql, id: string): Promise<void> {
  await sql`delete from pg_backups where id = ${id}`;
}

export async function deleteAddonBackups(sql: Sql, appId: string, addonName: string): Promise<void> {
  await sql`delete from pg_backups where app_id = ${appId} and addon_name = ${addonName}`;
}
