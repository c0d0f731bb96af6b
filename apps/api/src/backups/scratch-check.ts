import { randomBytes } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { ensureServiceImage } from '@plat/builder';
import { providers } from '../addons/registry.js';
import type { Platform } from '../platform.js';
import type { BackupRow, VerificationDetails, VerificationState } from '../store/pg-backups.js';
import { shortReason, type Counts } from './counts.js';
import { openDump } from './files.js';
import { restoreSource } from './uploads.js';

/**
 * A backup's restore drill: the dump goes into a scratch server made from
 * the add-on's image, on an internal network of its own, bounded in time,
 * memory, pids and disk (PLAT_BACKUP_CHECK_*); its counts are compared with
 * what the source reported at capture. The live add-on is never touched.
 * The scratch container and network go whatever happens.
 */
export interface CheckResult {
  state: Exclude<VerificationState, 'pending'>;
  details: VerificationDetails;
}

/** What a provider's drill does inside the started scratch server. */
export interface Drill {
  /** Loads the dump; throws with the tool's reason. */
  load(scratch: ScratchExec, dump: NodeJS.ReadableStream, env: Record<string, string>): Promise<void>;
  /** The restored copy's counts. */
  counts(scratch: ScratchExec, env: Record<string, string>): Promise<Counts>;
  /** The restored counts against the source's (null: captured before counts were kept). */
  compare(
    source: Counts | null,
    restored: Counts,
  ): { ok: boolean; details: Partial<VerificationDetails>; reason?: string };
}

export type ScratchExec = (
  command: string[],
  io?: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream; env?: Record<string, string> },
) => Promise<{ exitCode: number; stderr: string }>;

/** Runs a command and returns its stdout, or throws `what failed: <stderr>`. */
export async function output(
  exec: ScratchExec,
  command: string[],
  what: string,
  env?: Record<string, string>,
): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text = (text + chunk.toString('utf8')).slice(-10_000_000)));
  const result = await exec(command, { stdout: out, ...(env ? { env } : {}) });
  if (result.exitCode !== 0) throw new Error(`${what} failed (exit ${result.exitCode}): ${shortReason(result.stderr)}`);
  return text;
}

/** Random credentials for a scratch server: nothing of the add-on's. */
export function scratchCredentials(): Record<string, string> {
  return { user: 'check', password: randomBytes(18).toString('hex'), database: 'check' };
}

class OutOfTime extends Error {}

export async function runCheck(platform: Platform, backup: BackupRow, drill: Drill): Promise<CheckResult> {
  const started = Date.now();
  const { timeoutMs, diskBytes, memoryBytes } = platform.settings.backupCheck;
  const id = randomBytes(6).toString('hex');
  const credentials = scratchCredentials();
  // The scratch server's password, for its clients' environment (redis-cli reads REDISCLI_AUTH).
  const auth = { REDISCLI_AUTH: credentials.password!, PGPASSWORD: credentials.password! };
  const finish = (state: CheckResult['state'], more: Partial<VerificationDetails>): CheckResult => ({
    state,
    details: { checked_at: new Date().toISOString(), duration_ms: Date.now() - started, ...more },
  });
  let timer: NodeJS.Timeout | undefined;
  let abandoned = false;
  // Closed whatever happens: a restore that fails stops reading it half way.
  let dump: { destroy(): void } | undefined;
  const outOfTime = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abandoned = true;
      reject(new OutOfTime());
    }, timeoutMs);
  });
  const drillRun = (async () => {
    const provider = providers.find((p) => p.name === backup.provider);
    // A plan that keeps data names the image's data dir, where the tmpfs goes.
    const plan = provider?.plans.find((p) => p.persistent) ?? provider?.plans[0];
    const service = plan && provider?.service?.(plan, credentials);
    if (!provider || !service?.dataPath) throw new Error(`no scratch server for ${backup.provider}`);
    const image = await ensureServiceImage(platform.images, service.image, (line) =>
      platform.log(`backup check image: ${line}`),
    );
    const { dataPath, env, healthcheck } = service;
    if (abandoned) throw new OutOfTime();
    try {
      await platform.addons.startScratch({ id, image, env, dataPath, diskBytes, memoryBytes, healthcheck }, timeoutMs);
    } finally {
      // Out of time while it started: the removal in `finally` below may have run before it existed.
      if (abandoned) await platform.addons.removeScratch(id).catch(() => {});
    }
    if (abandoned) throw new OutOfTime();
    const exec: ScratchExec = (command, io = {}) => platform.addons.execScratch(id, command, io);
    const file = await dumpStream(platform, backup);
    // Out of time while it opened: the `finally` below has run, so nothing else would close it.
    if (abandoned) {
      file.destroy();
      throw new OutOfTime();
    }
    dump = file;
    await drill.load(exec, file, auth);
    return drill.counts(exec, auth);
  })();
  try {
    const restored = await Promise.race([drillRun, outOfTime]);
    const check = drill.compare(backup.source_counts, restored);
    return check.ok ? finish('verified', check.details) : finish('failed', { ...check.details, reason: check.reason! });
  } catch (error) {
    drillRun.catch(() => {});
    if (error instanceof OutOfTime) {
      return finish('failed', { reason: `the check ran out of time (${Math.round(timeoutMs / 1000)} s)` });
    }
    const trouble = await platform.addons.scratchTrouble(id).catch(() => undefined);
    const logs = await platform.addons.scratchLogs(id, 20);
    const full = failureReason({ message: (error as Error).message, trouble, logs, diskBytes });
    return finish('failed', { reason: full });
  } finally {
    clearTimeout(timer);
    dump?.destroy();
    await platform.addons
      .removeScratch(id)
      .catch((error: Error) =>
        platform.log(`backup check ${id}: removing its scratch server failed: ${error.message}`),
      );
  }
}

const OUT_OF_DISK = /no space left on device|could not extend file|disk full/i;

/**
 * Why a check failed, in one line: running out of the tmpfs first (the
 * server may only have said so in its own log, as a PANIC on WAL), then
 * the server's own trouble (out of memory, exited), then the tool's words.
 */
export function failureReason(failure: { message: string; trouble?: string; logs: string; diskBytes: number }): string {
  const message = shortReason(failure.message);
  if (OUT_OF_DISK.test(message) || OUT_OF_DISK.test(failure.logs)) {
    const mb = Math.round(failure.diskBytes / 1024 ** 2);
    return `the check ran out of disk (${mb} MB, PLAT_BACKUP_CHECK_DISK_MB): ${message}`;
  }
  const { trouble } = failure;
  if (trouble && trouble !== 'the scratch server is gone' && !message.includes(trouble))
    return `${trouble}; ${message}`;
  return message;
}

/**
 * The dump to check: its local file, or, once pruning removed that after
 * the upload, the copy on the backup target (the check then proves what a
 * restore would read). Any other trouble with the file is the check's answer.
 */
async function dumpStream(platform: Platform, backup: BackupRow): Promise<Readable> {
  if (!lstatSync(backup.file, { throwIfNoEntry: false })) return restoreSource(platform, backup);
  const id = `b${String(backup.number).padStart(3, '0')}`;
  const opened = await openDump(backup.file, id, `${backup.provider === 'redis' ? 'redis' : 'pg'}:backups`);
  return opened.handle.createReadStream();
}
