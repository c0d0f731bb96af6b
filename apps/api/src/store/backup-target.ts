import { randomUUID } from 'node:crypto';
import type { Sql } from './database.js';

/** The Plat's one restic repository for backups kept off the server (plat backups:target:set). */
export interface BackupTargetRow {
  id: string;
  url: string;
  /** The repository's password: the only copy Plat has. */
  password: string;
  keep_daily: number;
  keep_weekly: number;
  keep_monthly: number;
  created_at: Date;
}

export type UploadState = 'pending' | 'uploaded' | 'failed' | 'expired';

/** pg_backups' upload columns (026_backup_target.sql), as the uploads service reads them. */
export interface UploadColumns {
  upload_state: UploadState | null;
  upload_target: string | null;
  upload_snapshot: string | null;
  uploaded_at: Date | null;
  upload_reason: string | null;
  upload_attempts: number;
  upload_next_at: Date | null;
}

/** A pg_backups row with what an upload needs; the provider column may not exist yet (then postgres). */
export interface UploadRow extends UploadColumns {
  id: string;
  app_id: string;
  number: number;
  addon_name: string;
  file: string;
  size_bytes: number;
  created_at: Date;
  provider?: string | null;
}

export interface UploadTotals {
  uploaded: number;
  /** Uploaded, then removed from the target by its retention policy. */
  expired: number;
  pending: number;
  failed: number;
  last_uploaded_at: Date | null;
  /** The newest backup whose upload failed, and why. */
  last_failure: { app: string; number: number; reason: string } | null;
}

export async function findBackupTarget(sql: Sql): Promise<BackupTargetRow | undefined> {
  const [row] = await sql<BackupTargetRow[]>`select * from backup_target`;
  return row;
}

/**
 * The target, replacing any other, and every verified backup not yet on it
 * queued for upload: a new repository starts with all the good backups Plat holds.
 */
export async function replaceBackupTarget(
  sql: Sql,
  target: { url: string; password: string; keepDaily: number; keepWeekly: number; keepMonthly: number },
): Promise<BackupTargetRow> {
  return sql.begin(async (tx) => {
    const [old] = await tx<BackupTargetRow[]>`select * from backup_target for update`;
    // The same repository again (new retention) keeps its id, so nothing is uploaded twice.
    const id = old && old.url === target.url && old.password === target.password ? old.id : randomUUID();
    await tx`delete from backup_target`;
    const [row] = await tx<BackupTargetRow[]>`
      insert into backup_target (id, url, password, keep_daily, keep_weekly, keep_monthly)
      values (${id}, ${target.url}, ${target.password},
        ${target.keepDaily}, ${target.keepWeekly}, ${target.keepMonthly})
      returning *`;
    await tx`
      update pg_backups set upload_state = 'pending', upload_target = ${row!.id}, upload_reason = null,
        upload_attempts = 0, upload_next_at = now(), upload_snapshot = null, uploaded_at = null
      where upload_target is distinct from ${row!.id} and verification_state = 'verified'`;
    // Not (yet) verified: the check's hook queues them when it passes.
    await tx`
      update pg_backups set upload_state = null, upload_target = null, upload_next_at = null
      where upload_target is distinct from ${row!.id} and verification_state <> 'verified'`;
    return row!;
  }) as Promise<BackupTargetRow>;
}

/** No target: backups waiting for one have nothing to wait for. Resolves with the removed target. */
export async function deleteBackupTarget(sql: Sql): Promise<BackupTargetRow | undefined> {
  return sql.begin(async (tx) => {
    const [row] = await tx<BackupTargetRow[]>`delete from backup_target returning *`;
    await tx`
      update pg_backups set upload_state = null, upload_next_at = null
      where upload_state in ('pending', 'failed')`;
    return row;
  }) as Promise<BackupTargetRow | undefined>;
}

/** Marks a backup as going to the target now (a new capture, or `backups:target:retry`). */
export async function queueUpload(sql: Sql, backupId: string, targetId: string): Promise<void> {
  await sql`
    update pg_backups set upload_state = 'pending', upload_target = ${targetId}, upload_next_at = now()
    where id = ${backupId}
      and (upload_state is distinct from 'uploaded' or upload_target is distinct from ${targetId})`;
}

/** Every verified backup not on the target (made while no upload ran, or failed) is due now. */
export async function queueUnsent(sql: Sql, targetId: string): Promise<number> {
  const rows = await sql`
    update pg_backups set upload_state = 'pending', upload_target = ${targetId}, upload_next_at = now()
    where verification_state = 'verified'
      and not (upload_target is not distinct from ${targetId} and upload_state in ('uploaded', 'expired'))`;
  return rows.count;
}

/** The oldest backup whose upload is due (pending or failed, its next attempt reached). */
export async function nextDueUpload(sql: Sql, targetId: string): Promise<UploadRow | undefined> {
  const [row] = await sql<UploadRow[]>`
    select * from pg_backups
    where upload_state in ('pending', 'failed') and upload_target = ${targetId} and upload_next_at <= now()
    order by upload_next_at, created_at limit 1`;
  return row;
}

/** When the loop should look again: the earliest next attempt, if any. */
export async function earliestUpload(sql: Sql, targetId: string): Promise<Date | undefined> {
  const [row] = await sql<{ at: Date | null }[]>`
    select min(upload_next_at) as at from pg_backups
    where upload_state in ('pending', 'failed') and upload_target = ${targetId}`;
  return row?.at ?? undefined;
}

export async function findUploadRow(sql: Sql, backupId: string): Promise<UploadRow | undefined> {
  const [row] = await sql<UploadRow[]>`select * from pg_backups where id = ${backupId}`;
  return row;
}

export async function markUploaded(sql: Sql, backupId: string, targetId: string, snapshot: string): Promise<void> {
  await sql`
    update pg_backups set upload_state = 'uploaded', upload_snapshot = ${snapshot}, uploaded_at = now(),
      upload_reason = null, upload_attempts = upload_attempts + 1, upload_next_at = null
    where id = ${backupId} and upload_target = ${targetId}`;
}

export async function markUploadFailed(
  sql: Sql,
  backupId: string,
  failure: { targetId: string; reason: string; nextAt: Date | null },
): Promise<void> {
  await sql`
    update pg_backups set upload_state = 'failed', upload_reason = ${failure.reason},
      upload_attempts = upload_attempts + 1, upload_next_at = ${failure.nextAt}
    where id = ${backupId} and upload_target = ${failure.targetId}`;
}

/** The target itself failed (down, key refused): every other due upload waits as long, with the same reason. */
export async function deferDueUploads(
  sql: Sql,
  targetId: string,
  failure: { reason: string; nextAt: Date },
): Promise<void> {
  await sql`
    update pg_backups set upload_state = 'failed', upload_reason = ${failure.reason}, upload_next_at = ${failure.nextAt}
    where upload_target = ${targetId} and upload_state in ('pending', 'failed') and upload_next_at <= now()`;
}

/** Snapshots the target's retention removed: those backups are no longer restorable from it. */
export async function markExpired(sql: Sql, targetId: string, snapshots: string[]): Promise<void> {
  if (snapshots.length === 0) return;
  await sql`
    update pg_backups set upload_state = 'expired', upload_reason = 'removed from the target by its retention policy'
    where upload_target = ${targetId} and upload_state = 'uploaded' and upload_snapshot in ${sql(snapshots)}`;
}

/** The snapshots backups say they are in, on this target. */
export async function uploadedSnapshots(sql: Sql, targetId: string): Promise<string[]> {
  const rows = await sql<{ snapshot: string }[]>`
    select upload_snapshot as snapshot from pg_backups
    where upload_target = ${targetId} and upload_state = 'uploaded' and upload_snapshot is not null`;
  return rows.map((row) => row.snapshot);
}

/** The local files of the backups on the target (for what unset leaves unreachable). */
export async function uploadedFiles(sql: Sql, targetId: string): Promise<string[]> {
  const rows = await sql<{ file: string }[]>`
    select file from pg_backups where upload_target = ${targetId} and upload_state = 'uploaded'`;
  return rows.map((row) => row.file);
}

/** What `plat backups:target` shows besides the target itself. */
export async function uploadTotals(sql: Sql, targetId: string): Promise<UploadTotals> {
  const [counts] = await sql<
    { uploaded: number; expired: number; pending: number; failed: number; last: Date | null }[]
  >`
    select count(*) filter (where upload_state = 'uploaded')::int as uploaded,
      count(*) filter (where upload_state = 'expired')::int as expired,
      count(*) filter (where upload_state = 'pending')::int as pending,
      count(*) filter (where upload_state = 'failed')::int as failed,
      max(uploaded_at) as last
    from pg_backups where upload_target = ${targetId}`;
  const [failure] = await sql<{ app: string; number: number; reason: string }[]>`
    select apps.name as app, b.number, b.upload_reason as reason from pg_backups b join apps on apps.id = b.app_id
    where b.upload_target = ${targetId} and b.upload_state = 'failed'
    order by b.created_at desc limit 1`;
  return {
    uploaded: counts?.uploaded ?? 0,
    expired: counts?.expired ?? 0,
    pending: counts?.pending ?? 0,
    failed: counts?.failed ?? 0,
    last_uploaded_at: counts?.last ?? null,
    last_failure: failure ? { app: failure.app, number: failure.number, reason: failure.reason } : null,
  };
}
