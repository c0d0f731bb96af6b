import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, promises as fs, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KeyedQueue, PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import type { AddonRow } from '../store/addons.js';
import type { AppRow } from '../store/apps.js';
import { addonBackups, insertBackup, type BackupProvider, type BackupRow } from '../store/pg-backups.js';
import type { Counts } from './counts.js';
import { capturePostgres } from './postgres-data.js';
import { captureRedis } from './redis-data.js';
import { backupLabel } from './present.js';
import { verifyInBackground } from './verify.js';

export function backupDir(platform: Platform, appId: string): string {
  return join(platform.settings.dataDir, 'backups', appId);
}

/**
 * One capture at a time per app: a scheduled and a manual capture that
 * overlap would race for the app's next number (unique per app) and double
 * the load on the add-on.
 */
const captures = new KeyedQueue();

/** Free space kept on the data dir's disk beyond a capture's estimate: platd's state and logs live there too. */
export const DISK_RESERVE_BYTES = 256 * 1024 ** 2;
/** A dump may grow between captures: the last one's size times this is the estimate. */
const GROWTH = 1.5;

/**
 * Why a capture would not fit on the disk, or undefined when it fits. The
 * estimate is the add-on's last dump (its first is only held to the
 * reserve); a capture that still fills the disk fails cleanly (ENOSPC). Pure.
 */
export function notEnoughDisk(free: number, lastSize: number | undefined, dir: string): string | undefined {
  const need = Math.ceil((lastSize ?? 0) * GROWTH) + DISK_RESERVE_BYTES;
  if (free >= need) return undefined;
  const mb = (bytes: number) => `${Math.ceil(bytes / 1024 ** 2)} MB`;
  const last = lastSize === undefined ? '' : ` (its last backup took ${mb(lastSize)})`;
  return (
    `not enough free disk for the backup: ${mb(free)} free in ${dir}, ${mb(need)} needed${last}; ` +
    'free some space or delete old backups'
  );
}

function diskMessage(error: NodeJS.ErrnoException, dir: string): string {
  if (error.code === 'ENOSPC') return `the disk ran full while writing the backup into ${dir}`;
  if (error.code === 'EDQUOT') return `the disk quota ran out while writing the backup into ${dir}`;
  return error.message;
}

/**
 * Dumps the add-on into the data dir as the app's next backup bN, with what
 * the source held at the dump's moment, and starts its check (verify.ts):
 * the row comes back pending. A failed dump (a full disk included) keeps
 * nothing, raises backup_failed and says so in the app's log; the next
 * good one resolves it.
 */
export function captureBackup(platform: Platform, app: AppRow, addon: AddonRow): Promise<BackupRow> {
  return captures.run(app.id, () => capture(platform, app, addon));
}

async function capture(platform: Platform, app: AppRow, addon: AddonRow): Promise<BackupRow> {
  const provider = addon.provider as BackupProvider;
  const dir = backupDir(platform, app.id);
  const alert = { appId: app.id, kind: 'backup_failed' as const, subject: addon.name };
  const dyno = provider === 'redis' ? 'redis' : 'pg';
  const fail = (error: unknown) => {
    const message = (error as Error).message;
    platform.logs.write(app.id, { source: 'plat', dyno, line: `Backup of ${addon.name} failed: ${message}` });
    void platform.alerts.raise({ ...alert, message });
    return error;
  };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    const stats = await fs.statfs(dir);
    const last = (await addonBackups(platform.sql, app.id, addon.name)).sort((a, b) => b.number - a.number)[0];
    const why = notEnoughDisk(stats.bavail * stats.bsize, last ? Number(last.size_bytes) : undefined, dir);
    if (why) throw new PlatError('unavailable', why);
  } catch (error) {
    throw fail(error);
  }
  // A random name: two captures never share a file, even across platd restarts or clock steps.
  const file = join(dir, `${addon.name}-${randomUUID()}.${provider === 'redis' ? 'rdb' : 'dump'}`);
  const out = createWriteStream(file, { mode: 0o600 });
  // Listened to from the start: a write that fails (ENOSPC) must fail the capture, never crash platd.
  let outError: NodeJS.ErrnoException | undefined;
  out.on('error', (error) => (outError ??= error));
  let row: BackupRow;
  try {
    let sourceCounts: Counts;
    try {
      sourceCounts =
        provider === 'redis' ? await captureRedis(platform, addon, out) : await capturePostgres(platform, addon, out);
    } catch (error) {
      // The exec stops on a failed write; the write's own reason says more than the dump's.
      throw outError ? new PlatError('unavailable', diskMessage(outError, dir)) : error;
    }
    await new Promise<void>((resolve, reject) => {
      if (outError) return reject(outError);
      out.end((error?: Error | null) => (error || outError ? reject(outError ?? error) : resolve()));
    }).catch((error: NodeJS.ErrnoException) => {
      throw new PlatError('unavailable', diskMessage(error, dir));
    });
    const sizeBytes = out.bytesWritten;
    row = await insertBackup(platform.sql, {
      appId: app.id,
      addonName: addon.name,
      file,
      sizeBytes,
      provider,
      sourceCounts,
    });
  } catch (error) {
    out.destroy();
    rmSync(file, { force: true });
    throw fail(error);
  }
  void platform.alerts.resolve(alert);
  const line = `Backup ${backupLabel(row)} of ${addon.name} captured (${row.size_bytes} bytes), checking it`;
  platform.logs.write(app.id, { source: 'plat', dyno, line });
  void verifyInBackground(platform, app, row);
  return row;
}
