import type { UploadColumns } from './backup-target.js';
import type { Sql } from './database.js';

export type BackupProvider = 'postgres' | 'redis';
export type VerificationState = 'pending' | 'verified' | 'failed';

/** The result of a backup's restore drill. */
export interface VerificationDetails {
  checked_at: string;
  duration_ms: number;
  /** postgres: tables and rows checked. */
  tables?: number;
  rows?: number;
  /** false: captured before counts were kept, so only the restore was proven (tables and rows are the copy's). */
  compared?: boolean;
  /** redis: keys checked. */
  keys?: number;
  /** redis: databases past the first, whose keys were not compared: `db1 (5 keys)`. */
  not_compared?: string;
  /** Why it failed. */
  reason?: string;
}

/** A dump of a postgres add-on (pg_dump) or a redis one (RDB): bN per app, its file in the data dir. */
export interface BackupRow extends UploadColumns {
  id: string;
  app_id: string;
  number: number;
  addon_name: string;
  provider: BackupProvider;
  file: string;
  size_bytes: number;
  /** What the source held at the dump's moment: table (or db) -> rows (or keys); null before checks existed. */
  source_counts: Record<string, number> | null;
  verification_state: VerificationState;
  verification: VerificationDetails | null;
  /** When it last passed its check (027): kept through re-checks and later failures; pruning keys on it. */
  last_verified_at: Date | null;
  created_at: Date;
}

/** The app's backups, newest first. */
export async function listAppBackups(sql: Sql, appId: string, provider?: BackupProvider): Promise<BackupRow[]> {
  return provider
    ? sql<BackupRow[]>`
        select * from pg_backups where app_id = ${appId} and provider = ${provider} order by number desc`
    : sql<BackupRow[]>`select * from pg_backups where app_id = ${appId} order by number desc`;
}

export async function addonBackups(sql: Sql, appId: string, addonName: string): Promise<BackupRow[]> {
  return sql<BackupRow[]>`select * from pg_backups where app_id = ${appId} and addon_name = ${addonName}`;
}

export async function findBackup(sql: Sql, appId: string, number: number): Promise<BackupRow | undefined> {
  const [row] = await sql<BackupRow[]>`select * from pg_backups where app_id = ${appId} and number = ${number}`;
  return row;
}

export async function findBackupById(sql: Sql, id: string): Promise<BackupRow | undefined> {
  const [row] = await sql<BackupRow[]>`select * from pg_backups where id = ${id}`;
  return row;
}

/** Backups not checked yet (captured before checks existed, or while platd stopped), oldest first. */
export async function pendingBackups(sql: Sql): Promise<BackupRow[]> {
  return sql<BackupRow[]>`select * from pg_backups where verification_state = 'pending' order by created_at`;
}

/** Records a captured dump as the app's next backup number (one numbering for all its add-ons). */
export async function insertBackup(
  sql: Sql,
  backup: {
    appId: string;
    addonName: string;
    file: string;
    sizeBytes: number;
    provider?: BackupProvider;
    sourceCounts?: Record<string, number>;
  },
): Promise<BackupRow> {
  const counts = backup.sourceCounts ? sql.json(backup.sourceCounts) : null;
  const [row] = await sql<BackupRow[]>`
    insert into pg_backups (app_id, number, addon_name, file, size_bytes, provider, source_counts)
    values (${backup.appId}, (select coalesce(max(number), 0) + 1 from pg_backups where app_id = ${backup.appId}),
            ${backup.addonName}, ${backup.file}, ${backup.sizeBytes}, ${backup.provider ?? 'postgres'}, ${counts})
    returning *`;
  return row!;
}

/** The result of a check; undefined when the backup went (pruned) meanwhile. */
export async function setVerification(
  sql: Sql,
  id: string,
  state: VerificationState,
  details: VerificationDetails | null,
): Promise<BackupRow | undefined> {
  const json = details ? sql.json({ ...details }) : null;
  const [row] = await sql<BackupRow[]>`
    update pg_backups set verification_state = ${state}, verification = ${json},
      last_verified_at = case when ${state}::text = 'verified' then now() else last_verified_at end
    where id = ${id} returning *`;
  return row;
}

export async function deleteBackup(sql: Sql, id: string): Promise<void> {
  await sql`delete from pg_backups where id = ${id}`;
}

export async function deleteAddonBackups(sql: Sql, appId: string, addonName: string): Promise<void> {
  await sql`delete from pg_backups where app_id = ${appId} and addon_name = ${addonName}`;
}
