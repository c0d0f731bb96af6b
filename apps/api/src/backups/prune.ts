import { rmSync } from 'node:fs';
import type { Platform } from '../platform.js';
import { findBackupTarget, type UploadColumns } from '../store/backup-target.js';
import { addonBackups, deleteBackup } from '../store/pg-backups.js';
import { mayPruneLocally } from './upload-state.js';

/**
 * Of one add-on's backups: those past the newest `keep`, except the newest
 * one that ever passed its check (last_verified_at), which stays whatever
 * came after it: a re-check under way or one failed for a passing reason
 * must not push the last good backup out. Pure.
 */
export function backupsToPrune<T extends { number: number; last_verified_at?: Date | null }>(
  backups: T[],
  keep: number,
): T[] {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep must be at least 1, got ${keep}`);
  const newestFirst = [...backups].sort((a, b) => b.number - a.number);
  const lastGood = newestFirst.find((backup) => backup.last_verified_at);
  return newestFirst.slice(keep).filter((backup) => backup !== lastGood);
}

type PrunableRow = { number: number; last_verified_at?: Date | null; verification_state?: string } & Pick<
  UploadColumns,
  'upload_state' | 'upload_target'
>;

/**
 * What pruning does with each backup past the ones kept: files only of
 * backups that may go locally (mayPruneLocally: none before their upload
 * succeeded); the row stays while the backup is on the target, so it is
 * still listed and restored from there. Pure.
 */
export function pruneActions<T extends PrunableRow>(
  backups: T[],
  keep: number,
  target: { id: string } | undefined,
): { files: T[]; rows: T[] } {
  const files = backupsToPrune(backups, keep).filter((backup) => mayPruneLocally(backup, target));
  const onTarget = (backup: T) => !!target && backup.upload_target === target.id && backup.upload_state === 'uploaded';
  return { files, rows: files.filter((backup) => !onTarget(backup)) };
}

/**
 * Keeps the add-on's newest PLAT_KEEP_BACKUPS backups (and its newest good
 * one) on the server; older files go once they are off the server (or with
 * no backup target), their rows unless the target holds them. The one place
 * backups are pruned. The number of local files removed.
 */
export async function pruneBackups(platform: Platform, appId: string, addonName: string): Promise<number> {
  const target = await findBackupTarget(platform.sql);
  const backups = await addonBackups(platform.sql, appId, addonName);
  const { files, rows } = pruneActions(backups, platform.settings.keepBackups, target);
  for (const backup of files) rmSync(backup.file, { force: true });
  for (const backup of rows) await deleteBackup(platform.sql, backup.id);
  return files.length;
}
