import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough } from 'node:stream';
import { nextRun } from '@plat/addon-scheduler';
import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import { findAddon, listAddons, type AddonRow } from '../store/addons.js';
import type { User } from '../store/users.js';
import {
  addonBackups,
  deleteAddonBackups,
  deleteBackup,
  findBackup,
  insertBackup,
  listAppBackups,
  type BackupRow,
} from '../store/pg-backups.js';
import { replaceBackupSchedule } from '../store/scheduler-jobs.js';
import { audit } from './audit.js';

export type { BackupRow };

/** The app's postgres add-on by name, or its DATABASE_URL one when none is named. */
export async function postgresAddon(platform: Platform, app: AppRow, name?: string): Promise<AddonRow> {
  const addon = name
    ? await findAddon(platform.sql, app.id, name)
    : ((await listAddons(platform.sql, app.id)).find((a) => a.provider === 'postgres' && a.attachment === 'DATABASE') ??
      (await listAddons(platform.sql, app.id)).find((a) => a.provider === 'postgres'));
  if (addon?.provider !== 'postgres' || addon.state !== 'active') {
    throw new PlatError(
      'not_found',
      name
        ? `${name} is not a postgres add-on of ${app.name}.`
        : `${app.name} has no postgres add-on: plat addons:create postgres`,
    );
  }
  return addon;
}

/** All or nothing: --single-transaction stops at the first error (as --exit-on-error) and rolls back. */
export const RESTORE_FLAGS = [
  '--clean',
  '--if-exists',
  '--no-owner',
  '--no-privileges',
  '--single-transaction',
  '--exit-on-error',
];

/** Of one add-on's backups, newest first: those past the newest `keep`. */
export function backupsBeyond<T extends { number: number }>(backups: T[], keep: number): T[] {
  if (!Number.isInteger(keep) || keep < 1) throw new Error(`keep must be at least 1, got ${keep}`);
  return [...backups].sort((a, b) => b.number - a.number).slice(keep);
}

/** Keeps the add-on's newest PLAT_KEEP_BACKUPS backups; older files and rows go. */
export async function pruneBackups(platform: Platform, app: AppRow, addonName: string): Promise<number> {
  const old = backupsBeyond(await addonBackups(platform.sql, app.id, addonName), platform.settings.keepBackups);
  for (const backup of old) {
    rmSync(backup.file, { force: true });
    await deleteBackup(platform.sql, backup.id);
  }
  return old.length;
}

/** With the add-on: its backups' files, then their rows. */
export async function deleteBackupsOf(platform: Platform, appId: string, addonName: string): Promise<void> {
  for (const backup of await addonBackups(platform.sql, appId, addonName)) rmSync(backup.file, { force: true });
  await deleteAddonBackups(platform.sql, appId, addonName);
}

/** With the app: every backup file it has (the rows go with the app's row). */
export function deleteAppBackups(platform: Platform, appId: string): void {
  rmSync(backupDir(platform, appId), { recursive: true, force: true });
}

function backupDir(platform: Platform, appId: string): string {
  return join(platform.settings.dataDir, 'backups', appId);
}

/** psql/pg_dump arguments reaching the add-on's database from inside its container. */
export function libpq(addon: AddonRow): string[] {
  return ['-h', '/tmp', '-U', addon.credentials.user!, '-d', addon.credentials.database!];
}

/** pg_dump (custom format) of the add-on into the data dir, as backup bN. */
export async function captureBackup(platform: Platform, app: AppRow, addon: AddonRow): Promise<BackupRow> {
  const dir = backupDir(platform, app.id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${addon.name}-${Date.now()}.dump`);
  const out = createWriteStream(file, { mode: 0o600 });
  const result = await platform.addons.exec(addon, ['pg_dump', '-Fc', ...libpq(addon)], { stdout: out });
  await new Promise<void>((resolve) => out.end(resolve));
  if (result.exitCode !== 0) {
    rmSync(file, { force: true });
    const message = `pg_dump of ${addon.name} failed (exit ${result.exitCode}): ${result.stderr.trim()}`;
    void platform.alerts.raise({ appId: app.id, kind: 'backup_failed', subject: addon.name, message });
    throw new PlatError('unavailable', message);
  }
  void platform.alerts.resolve({ appId: app.id, kind: 'backup_failed', subject: addon.name });
  const sizeBytes = statSync(file).size;
  const row = await insertBackup(platform.sql, { appId: app.id, addonName: addon.name, file, sizeBytes });
  const line = `Backup b${String(row.number).padStart(3, '0')} of ${addon.name} captured (${sizeBytes} bytes)`;
  platform.logs.write(app.id, { source: 'plat', dyno: 'pg', line });
  await pruneBackups(platform, app, addon.name);
  return row;
}

/** Backup bN (or N) of the app; not_found names where to look. */
export async function backupByRef(platform: Platform, app: AppRow, ref: string): Promise<BackupRow> {
  const number = Number(/^b?0*(\d+)$/.exec(ref)?.[1]);
  const backup = await findBackup(platform.sql, app.id, number);
  if (!backup) throw new PlatError('not_found', `Couldn't find backup ${ref} of ${app.name}: see plat pg:backups.`);
  return backup;
}

export async function listBackups(platform: Platform, app: AppRow): Promise<BackupRow[]> {
  return listAppBackups(platform.sql, app.id);
}

/**
 * Restores backup bN into a postgres add-on, replacing what it holds, in one
 * transaction: a corrupt or truncated dump, or a restore cut short, rolls
 * back and leaves the data as it was.
 */
export async function restoreBackup(
  platform: Platform,
  app: AppRow,
  user: User,
  ref: string,
  target: AddonRow,
): Promise<void> {
  const backup = await backupByRef(platform, app, ref);
  const { number } = backup;
  const stdin = createReadStream(backup.file);
  const feed = new PassThrough();
  const piping = pipeline(stdin, feed);
  const result = await platform.addons.exec(target, ['pg_restore', ...RESTORE_FLAGS, ...libpq(target)], {
    stdin: feed,
  });
  await piping.catch(() => {});
  if (result.exitCode !== 0) {
    throw new PlatError(
      'unavailable',
      `pg_restore into ${target.name} failed, and its data is as it was ` +
        `(exit ${result.exitCode}): ${result.stderr.trim()}`,
    );
  }
  await audit(platform, app, user, 'pg.restore', { backup: `b${String(number).padStart(3, '0')}`, into: target.name });
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
