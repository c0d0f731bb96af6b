import { KeyedQueue } from '@plat/core';
import type { Platform } from '../platform.js';
import { findAppById, type AppRow } from '../store/apps.js';
import { addonBackups, findBackupById, pendingBackups, setVerification, type BackupRow } from '../store/pg-backups.js';
import { postgresDrill } from './postgres-check.js';
import { redisDrill } from './redis-check.js';
import { runCheck, type CheckResult } from './scratch-check.js';
import { backupLabel, describeVerification } from './present.js';
import { pruneBackups } from './prune.js';

/**
 * Runs backup checks one at a time per platd (each holds a scratch server
 * of up to PLAT_BACKUP_CHECK_DISK_MB + _MEMORY_MB), records each result,
 * says it in the app's log, opens or resolves the backup_unverified alert,
 * and hands a verified backup to the hooks (off-server copies).
 */

/** Called after a backup is verified (B's off-server uploads hook in here); errors are logged, never thrown. */
export type VerifiedHook = (platform: Platform, app: AppRow, backup: BackupRow) => Promise<void>;
const verifiedHooks: VerifiedHook[] = [];
export function onBackupVerified(hook: VerifiedHook): void {
  verifiedHooks.push(hook);
}

const queues = new WeakMap<Platform, KeyedQueue>();
function queue(platform: Platform): KeyedQueue {
  const found = queues.get(platform) ?? new KeyedQueue();
  queues.set(platform, found);
  return found;
}

/** Checks the backup (after the checks before it) and records the result; the updated row, or undefined if pruned. */
export async function verifyBackup(platform: Platform, app: AppRow, backup: BackupRow): Promise<BackupRow | undefined> {
  return queue(platform).run('checks', async () => {
    // It may have been pruned, or checked, while it waited.
    const current = await findBackupById(platform.sql, backup.id);
    if (!current) return undefined;
    const result = await runCheck(platform, current, current.provider === 'redis' ? redisDrill : postgresDrill);
    return record(platform, app, current, result);
  });
}

/**
 * Marks the backup pending (a re-check asked for, so its caller waits for
 * the new result) and checks it in the background. Pruning keys on
 * last_verified_at, not on this state, so a queued re-check cannot let the
 * last good backup go.
 */
export async function recheckBackup(platform: Platform, app: AppRow, backup: BackupRow): Promise<BackupRow> {
  const pending = await setVerification(platform.sql, backup.id, 'pending', null);
  void verifyInBackground(platform, app, backup);
  return pending ?? backup;
}

export function verifyInBackground(platform: Platform, app: AppRow, backup: BackupRow): Promise<void> {
  return verifyBackup(platform, app, backup).then(
    () => {},
    (error: Error) => platform.log(`backup check of ${backupLabel(backup)} of ${app.name} failed: ${error.message}`),
  );
}

/** Backups still pending (captured before checks existed, or while platd stopped): checked one by one. */
export async function verifyPending(platform: Platform): Promise<number> {
  const backups = await pendingBackups(platform.sql);
  for (const backup of backups) {
    const app = await findAppById(platform.sql, backup.app_id);
    if (app) await verifyInBackground(platform, app, backup);
  }
  return backups.length;
}

async function record(
  platform: Platform,
  app: AppRow,
  backup: BackupRow,
  result: CheckResult,
): Promise<BackupRow | undefined> {
  // Said first: whoever sees the new state sees its log line and alert too.
  const label = `Backup ${backupLabel(backup)} of ${backup.addon_name}`;
  const line = `${label} ${describeVerification({ state: result.state, ...result.details })}`;
  platform.logs.write(app.id, { source: 'plat', dyno: backup.provider === 'redis' ? 'redis' : 'pg', line });
  const alert = { appId: app.id, kind: 'backup_unverified' as const, subject: backup.addon_name };
  if (result.state === 'failed') {
    await platform.alerts.raise({ ...alert, message: `${label} failed its restore check: ${result.details.reason}` });
  } else if (await isNewest(platform, backup)) {
    // A good re-check of an older backup says nothing of the newest one, whose failure stays raised.
    await platform.alerts.resolve(alert);
  }
  const row = await setVerification(platform.sql, backup.id, result.state, result.details);
  if (!row) return undefined;
  for (const hook of result.state === 'verified' ? verifiedHooks : []) {
    await hook(platform, app, row).catch((error: Error) =>
      platform.log(`after the check of ${label} of ${app.name}: ${error.message}`),
    );
  }
  await pruneBackups(platform, app.id, row.addon_name);
  return row;
}

async function isNewest(platform: Platform, backup: BackupRow): Promise<boolean> {
  const backups = await addonBackups(platform.sql, backup.app_id, backup.addon_name);
  return backups.every((other) => other.number <= backup.number);
}
