import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fs, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { nextRun } from '@plat/addon-scheduler';
import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import type { AddonRow } from '../store/addons.js';
import type { User } from '../store/users.js';
import {
  addonBackups,
  deleteAddonBackups,
  findBackup,
  listAppBackups,
  type BackupProvider,
  type BackupRow,
} from '../store/pg-backups.js';
import { replaceBackupSchedule } from '../store/scheduler-jobs.js';
import { audit } from './audit.js';
import { loadAddon } from '../backups/addon-data.js';
import { backupAddon } from '../backups/backup-addon.js';
import { backupDir } from '../backups/capture.js';
import { openDump } from '../backups/files.js';
import { backupLabel } from '../backups/present.js';
import { libpq } from '../backups/postgres-data.js';
import { restoreSource } from '../backups/uploads.js';

export { libpq, RESTORE_FLAGS } from '../backups/postgres-data.js';

export type { BackupRow };

/** The app's postgres add-on by name, or its DATABASE_URL one when none is named. */
export function postgresAddon(platform: Platform, app: AppRow, name?: string): Promise<AddonRow> {
  return backupAddon(platform, app, 'postgres', name);
}

/** Of one add-on's backups, newest first: those past the newest `keep` (and not its newest verified one). */
export { backupsToPrune as backupsBeyond, pruneBackups } from '../backups/prune.js';
export { captureBackup } from '../backups/capture.js';

/** With the add-on: its backups' files, then their rows. */
export async function deleteBackupsOf(platform: Platform, appId: string, addonName: string): Promise<void> {
  for (const backup of await addonBackups(platform.sql, appId, addonName)) rmSync(backup.file, { force: true });
  await deleteAddonBackups(platform.sql, appId, addonName);
}

/** With the app: every backup file it has (the rows go with the app's row). */
export function deleteAppBackups(platform: Platform, appId: string): void {
  rmSync(backupDir(platform, appId), { recursive: true, force: true });
}

/** Backup bN (or N) of the app, of one provider (postgres by default); not_found names where to look. */
export async function backupByRef(
  platform: Platform,
  app: AppRow,
  ref: string,
  provider: BackupProvider = 'postgres',
): Promise<BackupRow> {
  const number = Number(/^b?0*(\d+)$/.exec(ref)?.[1]);
  const backup = await findBackup(platform.sql, app.id, number);
  const command = provider === 'redis' ? 'redis:backups' : 'pg:backups';
  if (!backup) throw new PlatError('not_found', `Couldn't find backup ${ref} of ${app.name}: see plat ${command}.`);
  if (backup.provider !== provider) {
    throw new PlatError(
      'not_found',
      `Backup ${ref} of ${app.name} is a ${backup.provider} backup: see plat ${command}.`,
    );
  }
  return backup;
}

/** The app's backups of one provider (postgres by default), newest first. */
export async function listBackups(
  platform: Platform,
  app: AppRow,
  provider: BackupProvider = 'postgres',
): Promise<BackupRow[]> {
  return listAppBackups(platform.sql, app.id, provider);
}

/**
 * Restores backup bN into an add-on, replacing what it holds, from its
 * local file or, once that was pruned, from the backup target. postgres: in
 * one transaction: a corrupt or truncated dump, or a restore cut short,
 * rolls back and leaves the data as it was. redis: the snapshot is fetched
 * whole to a private file first, so a download cut short changes nothing.
 */
export async function restoreBackup(
  platform: Platform,
  app: AppRow,
  user: User,
  ref: string,
  target: AddonRow,
): Promise<void> {
  const backup = await backupByRef(platform, app, ref, target.provider as BackupProvider);
  const source = await restoreSource(platform, backup);
  try {
    if (target.provider === 'redis') {
      await viaPrivateFile(platform, app, source, `${backupLabel(backup)} of ${app.name}`, (input) =>
        loadAddon(platform, target, input),
      );
    } else {
      await loadAddon(platform, target, source);
    }
  } finally {
    // A restore that fails stops reading half way: the file (or restic) is closed now, not when collected.
    source.destroy();
  }
  const kind = target.provider === 'redis' ? 'redis.restore' : 'pg.restore';
  await audit(platform, app, user, kind, { backup: backupLabel(backup), into: target.name });
}

/** The stream written whole to a new private file in the app's backup dir, read back for `use`, then removed. */
async function viaPrivateFile(
  platform: Platform,
  app: AppRow,
  source: Readable,
  what: string,
  use: (input: NodeJS.ReadableStream) => Promise<void>,
): Promise<void> {
  const dir = backupDir(platform, app.id);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `restore-${randomBytes(6).toString('hex')}.tmp`);
  try {
    await pipeline(source, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    const { handle } = await openDump(file, what);
    const input = handle.createReadStream();
    try {
      await use(input);
    } finally {
      input.destroy();
    }
  } finally {
    await fs.rm(file, { force: true });
  }
}

/** A daily backup of the add-on at the given UTC hour, run by platd's scheduler. */
export async function scheduleBackups(
  platform: Platform,
  app: AppRow,
  user: User,
  addon: AddonRow,
  hour: number,
): Promise<void> {
  if (!Number.isInteger(hour) || hour < 0 || hour > 23)
    throw new PlatError('invalid_params', '--at takes an hour of the day, 0 to 23 (UTC).');
  const schedule = `0 ${hour} * * *`;
  const nextRunAt = nextRun(schedule, new Date());
  await replaceBackupSchedule(platform.sql, { appId: app.id, addonName: addon.name, schedule, nextRunAt });
  await audit(platform, app, user, 'pg.backups.schedule', { addon: addon.name, schedule });
}

/** What `plat pg:info` shows: plan, state and what the database holds. */
export async function databaseInfo(platform: Platform, addon: AddonRow): Promise<Record<string, string>> {
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk));
  const query =
    'select pg_size_pretty(pg_database_size(current_database())), (select count(*) from pg_stat_user_tables), ' +
    '(select count(*) from pg_stat_activity where datname = current_database()), version()';
  const result = await platform.addons.exec(
    addon,
    ['psql', '-X', '-A', '-t', '-F', '|', ...libpq(addon), '-c', query],
    { stdout: output },
  );
  const [size, tables, connections, version] = result.exitCode === 0 ? text.trim().split('|') : [];
  return {
    name: addon.name,
    plan: `${addon.provider}:${addon.plan}`,
    config_var: `${addon.attachment}_URL`,
    state: await platform.addons.state(addon),
    data_size: size ?? 'unknown',
    tables: tables ?? 'unknown',
    connections: connections ?? 'unknown',
    version: version?.split(' on ')[0] ?? 'unknown',
    created_at: addon.created_at.toISOString(),
  };
}
