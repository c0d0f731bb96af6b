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
 * the add-on's image, with no network, bounded in time, memory, pids and
 * disk (PLAT_BACKUP_CHECK_*); its counts are compared with what the source
 * reported at capture. The live add-on is never touched. The scratch
 * container goes whatever happens; a server that cannot start fails the
 * check with the Engine's reason, never leaving it pending.
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
/** The scratch server never became ready: Docker refused it, it exited, or its image is missing. */
class StartFailed extends Error {}

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
    ).catch((error: Error) => {
      throw new StartFailed(`its image ${service.image.name} could not be built: ${error.message}`);
    });
    const { dataPath, env, healthcheck } = service;
    if (abandoned) throw new OutOfTime();
    try {
      await platform.addons.startScratch({ id, image, env, dataPath, diskBytes, memoryBytes, healthcheck }, timeoutMs);
    } catch (error) {
      throw new StartFailed((error as Error).message);
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
    const { message } = error as Error;
    if (error instanceof StartFailed) {
      return finish('failed', { reason: startFailureReason({ message, trouble, diskBytes, memoryBytes }) });
    }
    const logs = await platform.addons.scratchLogs(id, 20);
    return finish('failed', { reason: failureReason({ message, trouble, logs, diskBytes }) });
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

/** dockerode's wrapping of an Engine error: `(HTTP code 400) unexpected - <the Engine's words>`. */
const DOCKERODE_PREFIX = /^\(HTTP code \d+\)[^-]*- /;
const mb = (bytes: number) => Math.round(bytes / 1024 ** 2);
const OUT_OF_DISK = /no space left on device|could not extend file|disk full/i;

/**
 * Why the scratch server did not start, in one line: the Engine's own words
 * (without dockerode's prefix), and the limits when memory is what failed,
 * since those are the operator's to raise. The backup itself is not at fault.
 */
export function startFailureReason(failure: {
  message: string;
  trouble?: string;
  diskBytes: number;
  memoryBytes: number;
}): string {
  // "exited (1): <its last lines>": what happened first, then the line that says why (or its last ones).
  const [head = '', ...rest] = failure.message.replace(DOCKERODE_PREFIX, '').trim().split('\n');
  const why = rest.find((line) => OUT_OF_DISK.test(line))?.trim() ?? shortReason(rest.join('\n'));
  const said = [head.trim().slice(0, 300) || 'no reason given', ...(why ? [why] : [])].join(' / ');
  const limits =
    `${mb(failure.memoryBytes + failure.diskBytes)} MB: PLAT_BACKUP_CHECK_MEMORY_MB ` +
    `(${mb(failure.memoryBytes)}) + PLAT_BACKUP_CHECK_DISK_MB (${mb(failure.diskBytes)})`;
  if (failure.trouble === 'the scratch server ran out of memory')
    return `the scratch server could not start: it ran out of memory (${limits}); ${said}`;
  if (OUT_OF_DISK.test(said)) {
    const disk = `${mb(failure.diskBytes)} MB, PLAT_BACKUP_CHECK_DISK_MB`;
    return `the scratch server could not start: it ran out of disk (${disk}); ${said}`;
  }
  if (/memory/i.test(said)) return `the scratch server could not start: ${said} (its limit is ${limits})`;
  return `the scratch server could not start: ${said}`;
}

/**
 * Why a check failed, in one line: running out of the tmpfs first (the
 * server may only have said so in its own log, as a PANIC on WAL), then
 * the server's own trouble (out of memory, exited), then the tool's words.
 */
export function failureReason(failure: { message: string; trouble?: string; logs: string; diskBytes: number }): string {
  const message = shortReason(failure.message);
  if (OUT_OF_DISK.test(message) || OUT_OF_DISK.test(failure.logs)) {
    return `the check ran out of disk (${mb(failure.diskBytes)} MB, PLAT_BACKUP_CHECK_DISK_MB): ${message}`;
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
