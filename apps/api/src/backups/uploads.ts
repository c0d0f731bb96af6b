import { createReadStream, lstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import { findAppById } from '../store/apps.js';
import {
  deferDueUploads,
  earliestUpload,
  findBackupTarget,
  findUploadRow,
  markExpired,
  markUploaded,
  markUploadFailed,
  nextDueUpload,
  queueUnsent,
  queueUpload,
  uploadedSnapshots,
  type BackupTargetRow,
  type UploadRow,
} from '../store/backup-target.js';
import * as restic from './restic.js';
import { NOFOLLOW_READ } from './restic.js';
import { pruneBackups } from './prune.js';
import { onBackupVerified } from './verify.js';
import { sshIdentity } from './ssh-identity.js';
import { parseTargetUrl } from './target-url.js';
import { presentUpload, retryDelayMs, snapshotGroup } from './upload-state.js';

export { mayPruneLocally, presentUpload, uploadLabel } from './upload-state.js';

/**
 * Backups copied to the backup target, one upload at a time: a new
 * backup's upload right after it is verified (queueBackupUpload), failed
 * ones again with backoff, and at start whatever was left. A failure leaves
 * the backup `upload failed: <reason>` and its local file in place. The
 * target's retention runs once a sweep has uploaded what was due, not per
 * upload: `forget --prune` locks and walks the whole repository.
 */

/** The restic repository of the target, with platd's key and cache in the data dir. */
export async function repositoryOf(platform: Platform, target: Pick<BackupTargetRow, 'url' | 'password'>) {
  const { dataDir, instance } = platform.settings;
  return {
    url: parseTargetUrl(target.url),
    password: target.password,
    ssh: await sshIdentity(dataDir, `plat-backups@${instance}`),
    cacheDir: join(dataDir, 'restic-cache'),
  };
}

function number(row: { number: number }): string {
  return `b${String(row.number).padStart(3, '0')}`;
}

/** The backup's local file, if it is still there (never through a symlink). */
function localFile(row: { file: string }): boolean {
  try {
    return lstatSync(row.file).isFile();
  } catch {
    return false;
  }
}

/** Failures of the target rather than of one backup. */
const TARGET_FAILURES = new Set<restic.ResticFailureKind>([
  'unreachable',
  'key_refused',
  'host_key_changed',
  'wrong_password',
  'no_repository',
  'locked',
  'timeout',
]);

class Uploader {
  readonly #platform: Platform;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(platform: Platform) {
    this.#platform = platform;
  }

  start(): void {
    this.#stopped = false;
    void (async () => {
      const target = await findBackupTarget(this.#platform.sql);
      // At start: backups made while no upload ran (platd stopped mid-way, or before the hook).
      if (target) await queueUnsent(this.#platform.sql, target.id);
      this.kick();
    })().catch((error: Error) => this.#platform.log(`backup uploads: ${error.message}`));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Looks for due uploads now; one sweep at a time. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#running = this.#sweep()
      .catch((error: Error) => this.#platform.log(`backup uploads: ${error.message}`))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
          return;
        }
        void this.#schedule();
      });
  }

  async #schedule(): Promise<void> {
    if (this.#stopped) return;
    const target = await findBackupTarget(this.#platform.sql).catch(() => undefined);
    const next = target && (await earliestUpload(this.#platform.sql, target.id).catch(() => undefined));
    if (!next || this.#stopped) return;
    // At most an hour ahead, so a clock change or a missed kick costs little.
    const delay = Math.min(Math.max(next.getTime() - Date.now(), 1000), 3600_000);
    this.#timer = setTimeout(() => this.kick(), delay);
    this.#timer.unref();
  }

  async #sweep(): Promise<void> {
    let uploadedTo: { target: BackupTargetRow; repository: restic.Repository } | undefined;
    while (!this.#stopped) {
      const target = await findBackupTarget(this.#platform.sql);
      const row = target && (await nextDueUpload(this.#platform.sql, target.id));
      if (!target || !row) break;
      const repository = await this.#attempt(target, row);
      if (repository) uploadedTo = { target, repository };
    }
    if (!uploadedTo) return;
    const { target, repository } = uploadedTo;
    await this.#applyRetention(target, repository).catch((error: Error) =>
      this.#platform.log(`backup uploads: retention on ${target.url}: ${error.message}`),
    );
  }

  async #attempt(target: BackupTargetRow, row: UploadRow): Promise<restic.Repository | undefined> {
    const { sql, logs, alerts } = this.#platform;
    const app = await findAppById(sql, row.app_id);
    if (!app) return;
    const subject = `${row.addon_name} upload`;
    const line = (text: string) => logs.write(app.id, { source: 'plat', dyno: 'backups', line: text });
    if (!localFile(row)) {
      // Pruned after its upload to an earlier target: nothing here to send, and no point retrying.
      const reason = 'its local file is gone (pruned after an upload to an earlier target)';
      await markUploadFailed(sql, row.id, { targetId: target.id, reason, nextAt: null });
      return;
    }
    const repository = await repositoryOf(this.#platform, target);
    try {
      const snapshot = await restic.backupFile(repository, row.file, {
        host: `plat-${this.#platform.settings.instance}`,
        group: snapshotGroup(row),
        tags: { app: app.name, addon: row.addon_name, backup: number(row), provider: row.provider ?? 'postgres' },
      });
      await markUploaded(sql, row.id, target.id, snapshot);
      line(`Backup ${number(row)} of ${row.addon_name} uploaded to ${target.url} (snapshot ${snapshot})`);
      void alerts.resolve({ appId: app.id, kind: 'backup_failed', subject });
    } catch (error) {
      const reason = (error as Error).message.replace(/^Upload failed: /, '');
      const attempts = row.upload_attempts + 1;
      const nextAt = new Date(Date.now() + retryDelayMs(attempts));
      await markUploadFailed(sql, row.id, { targetId: target.id, reason, nextAt });
      // A lock left by an upload cut short (platd stopped mid-way) would block every later one.
      if (error instanceof restic.ResticError && error.kind === 'locked')
        await restic.unlock(repository).catch(() => undefined);
      // Not this file's fault: the others would fail the same way now, one connect timeout each.
      if (error instanceof restic.ResticError && TARGET_FAILURES.has(error.kind))
        await deferDueUploads(sql, target.id, { reason, nextAt });
      line(
        `Backup ${number(row)} of ${row.addon_name}: upload failed: ${reason} (next attempt ${nextAt.toISOString()})`,
      );
      void alerts.raise({
        appId: app.id,
        kind: 'backup_failed',
        subject,
        message: `Backup ${number(row)} of ${row.addon_name} is not on the backup target: ${reason}`,
      });
      return;
    }
    // Files kept only until they were off the server go now, not at the next capture.
    await pruneBackups(this.#platform, row.app_id, row.addon_name).catch((error: Error) =>
      this.#platform.log(`backup uploads: pruning ${row.addon_name}: ${error.message}`),
    );
    return repository;
  }

  /** After a sweep's uploads: forget --prune by the target's policy, then mark backups whose snapshot went. */
  async #applyRetention(target: BackupTargetRow, repository: restic.Repository): Promise<void> {
    await restic.forget(repository, {
      keepDaily: target.keep_daily,
      keepWeekly: target.keep_weekly,
      keepMonthly: target.keep_monthly,
    });
    const kept = new Set((await restic.snapshots(repository)).flatMap((snapshot) => [snapshot.id, snapshot.short_id]));
    const uploaded = await uploadedSnapshots(this.#platform.sql, target.id);
    await markExpired(
      this.#platform.sql,
      target.id,
      uploaded.filter((snapshot) => !kept.has(snapshot)),
    );
  }
}

const uploaders = new WeakMap<Platform, Uploader>();

function uploader(platform: Platform): Uploader {
  let found = uploaders.get(platform);
  if (!found) {
    found = new Uploader(platform);
    uploaders.set(platform, found);
  }
  return found;
}

let hooked = false;

/**
 * main.ts: uploads left from before, the retry loop, and each newly
 * verified backup queued for upload; stop() waits for a running upload.
 */
export function startBackupUploads(platform: Platform): { stop(): Promise<void> } {
  const running = uploader(platform);
  if (!hooked) {
    hooked = true;
    onBackupVerified(queueBackupUpload);
  }
  running.start();
  return { stop: () => running.stop() };
}

/**
 * The verified-backup hook: marks the backup pending (so the prune step
 * right after keeps its file) and wakes the uploader, without waiting for
 * the upload: checks and captures do not wait on the target.
 */
export async function queueBackupUpload(platform: Platform, _app: AppRow, row: { id: string }): Promise<void> {
  const target = await findBackupTarget(platform.sql);
  if (!target) return;
  await queueUpload(platform.sql, row.id, target.id);
  uploader(platform).kick();
}

/** `plat backups:target:retry`: every backup not on the target is due now. */
export async function retryUploads(platform: Platform): Promise<number> {
  const target = await findBackupTarget(platform.sql);
  if (!target) throw new PlatError('not_found', 'No backup target is set: plat backups:target:set URL');
  const queued = await queueUnsent(platform.sql, target.id);
  uploader(platform).kick();
  return queued;
}

/** Wakes the loop after the target changed (its set-up queued every backup). */
export function wakeUploads(platform: Platform): void {
  uploader(platform).kick();
}

/**
 * A backup's dump to restore from: its local file while it is there, else
 * its snapshot on the backup target, so a restore works after the local
 * copy was pruned. Errors name what is missing.
 */
export async function restoreSource(
  platform: Platform,
  row: { id: string; number: number; file: string; app_id: string; addon_name: string },
): Promise<Readable> {
  if (localFile(row)) return createReadStream(row.file, { flags: NOFOLLOW_READ });
  const upload = await findUploadRow(platform.sql, row.id);
  const target = await findBackupTarget(platform.sql);
  const presented = upload && presentUpload(upload);
  if (!upload || presented?.state !== 'uploaded' || !target || upload.upload_target !== target.id) {
    throw new PlatError(
      'not_found',
      `Backup ${number(row)}'s local file is gone and ${
        presented?.state === 'expired'
          ? "the backup target's retention removed it"
          : 'it is not on the backup target (plat backups:target)'
      }.`,
    );
  }
  return restic.dump(await repositoryOf(platform, target), upload.upload_snapshot!, `${snapshotGroup(row)}.dump`);
}
