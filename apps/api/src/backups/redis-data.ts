import { PassThrough, Writable } from 'node:stream';
import { PlatError } from '@plat/core';
import { providers } from '../addons/registry.js';
import type { Platform } from '../platform.js';
import type { AddonRow } from '../store/addons.js';
import { shortReason } from './counts.js';
import { rdbSourceCounts, readRdbHeader, type RdbCounts } from './rdb-header.js';

/** Where the redis add-on keeps data (its image's data dir; --dir in its entrypoint). */
export const REDIS_DATA = '/var/lib/plat-redis';

/** The add-on's password for redis-cli, in the exec's environment: argv is visible to every process. */
function auth(addon: AddonRow): Record<string, string> {
  return { REDISCLI_AUTH: addon.credentials.password! };
}

/**
 * An RDB snapshot of the add-on, as a replica would receive it (redis-cli
 * --rdb asks for a full sync: one fork, one moment), written to `out` (not
 * ended), and the key count of that moment, read from the snapshot's own
 * header as it passes (rdb-header.ts).
 */
export async function captureRedis(
  platform: Platform,
  addon: AddonRow,
  out: NodeJS.WritableStream,
): Promise<Record<string, number>> {
  let head = Buffer.alloc(0);
  let counts: RdbCounts | undefined;
  let headerError: Error | undefined;
  const tap = writeThrough(out, (chunk) => {
    if (counts || headerError) return;
    head = Buffer.concat([head, chunk]);
    try {
      counts = readRdbHeader(head);
    } catch (error) {
      headerError = error as Error;
    }
  });
  const result = await platform.addons.exec(addon, ['redis-cli', '--no-auth-warning', '--rdb', '-'], {
    stdout: tap,
    env: auth(addon),
  });
  // What the tap still buffers (out was slow) is written before the caller ends out.
  await new Promise<void>((resolve, reject) => {
    if (tap.writableFinished) return resolve();
    tap.once('error', reject);
    tap.end(resolve);
  });
  if (result.exitCode !== 0) {
    throw new PlatError(
      'unavailable',
      `The snapshot of ${addon.name} failed (exit ${result.exitCode}): ${shortReason(result.stderr)}`,
    );
  }
  if (!counts) {
    const why = headerError?.message ?? 'it ended before its first database';
    throw new PlatError('unavailable', `The snapshot of ${addon.name} cannot be read: ${why}`);
  }
  return rdbSourceCounts(counts);
}

/**
 * A stream that writes each chunk to `out`, showing it to `inspect` first,
 * and takes the next only once `out` has room (write()'s result honoured):
 * a slow disk holds the snapshot back instead of buffering it in memory.
 */
export function writeThrough(out: NodeJS.WritableStream, inspect: (chunk: Buffer) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      inspect(chunk);
      if (out.write(chunk)) return callback();
      const done = (error?: Error) => {
        out.off('drain', drained);
        out.off('error', done);
        callback(error);
      };
      const drained = () => done();
      out.once('drain', drained);
      out.once('error', done);
    },
  });
}

export async function dumpRedis(platform: Platform, addon: AddonRow, out: NodeJS.WritableStream): Promise<void> {
  await captureRedis(platform, addon, out);
}

/** Runs redis-cli (or another command) in the add-on's container; its stdout, or throws with its reason. */
async function run(platform: Platform, addon: AddonRow, command: string[], stdin?: NodeJS.ReadableStream) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text = (text + chunk.toString('utf8')).slice(-100_000)));
  const result = await platform.addons.exec(addon, command, {
    stdout: out,
    env: auth(addon),
    ...(stdin ? { stdin } : {}),
  });
  if (result.exitCode !== 0 || /^(ERR|NOPERM|WRONGPASS)/m.test(text)) {
    throw new Error(`${command[0]} ${command.slice(1, 3).join(' ')} failed: ${shortReason(result.stderr + text)}`);
  }
  return text;
}

const CLI = ['redis-cli', '--no-auth-warning'];

/** A CONFIG GET's value (redis-cli prints the name, then the value, a line each). */
async function configValue(platform: Platform, addon: AddonRow, name: string): Promise<string> {
  return (await run(platform, addon, [...CLI, 'CONFIG', 'GET', name])).split('\n')[1]?.trim() ?? '';
}

/**
 * Memory a snapshot may take once loaded, per byte of its file: RDB is
 * compact (integers and small collections encoded, strings compressed), a
 * loaded dataset commonly takes two or more times its size.
 */
export const LOADED_PER_FILE_BYTE = 2;

/** Why a snapshot of `size` bytes cannot be loaded in `memoryMb`, or undefined when it fits. Pure. */
export function tooBigFor(size: number, memoryMb: number | undefined, addon: string): string | undefined {
  if (!memoryMb || size * LOADED_PER_FILE_BYTE <= memoryMb * 1024 * 1024) return undefined;
  const mb = Math.ceil(size / (1024 * 1024));
  const fits = `would not fit in ${addon}'s ${memoryMb} MB once loaded`;
  return `the snapshot (${mb} MB) ${fits}: restore it into a bigger plan`;
}

/**
 * The AOF rewrite after a restore into an add-on that keeps an AOF, waited
 * for (bounded): until it is done, a restart loses the restore.
 */
async function awaitAofRewrite(platform: Platform, addon: AddonRow, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await run(platform, addon, [...CLI, 'INFO', 'persistence']);
    const field = (name: string) => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
    if (field('aof_rewrite_in_progress') === '0' && field('aof_rewrite_scheduled') !== '1') {
      const status = field('aof_last_bgrewrite_status');
      if (status === 'ok') return;
      throw new Error(`rewriting the append-only file failed (${status ?? 'no status'}): the add-on's log says why`);
    }
    if (Date.now() >= deadline) throw new Error(`rewriting the append-only file took over ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Replaces the add-on's data with a snapshot, without a restart, so the
 * add-on keeps serving. Nothing changes until the snapshot is known to
 * load: restores enabled (enable-debug-command), the whole file read by
 * redis-check-rdb (checksum included), and small enough for the plan's
 * memory. Only then does it become dbfilename (a protected config, so the
 * file is moved, not the setting) for DEBUG RELOAD NOSAVE. Without an AOF
 * (mini) the file goes again right after, loaded or not, so a restart
 * never loads it (an out-of-memory reload would crash-loop); with one
 * (premium) the AOF is rewritten from the loaded data and that is waited
 * for, so a restart keeps the restore.
 */
export async function loadRedis(platform: Platform, addon: AddonRow, input: NodeJS.ReadableStream): Promise<void> {
  const staged = `${REDIS_DATA}/restore.rdb`;
  const target = `${REDIS_DATA}/dump.rdb`;
  const fail = (why: string) => new PlatError('unavailable', `Restoring into ${addon.name} failed: ${why}`);
  const debug = await configValue(platform, addon, 'enable-debug-command').catch((error: Error) => {
    throw fail(error.message);
  });
  if (debug !== 'yes' && debug !== 'local') {
    throw new PlatError(
      'unavailable',
      `${addon.name} was started before restores existed: restart or recreate the add-on to enable restores. ` +
        'Nothing was changed.',
    );
  }
  let moved = false;
  let aof = false;
  try {
    await run(platform, addon, ['dd', `of=${staged}`, 'bs=1M', 'status=none'], input);
    await run(platform, addon, ['redis-check-rdb', staged]);
    const size = Number((await run(platform, addon, ['stat', '-c', '%s', staged])).trim());
    const plan = providers.find((p) => p.name === addon.provider)?.plans.find((p) => p.name === addon.plan);
    const tooBig = tooBigFor(size, plan?.memoryMb, addon.name);
    if (tooBig) throw new Error(tooBig);
    aof = (await configValue(platform, addon, 'appendonly')) === 'yes';
    await run(platform, addon, ['mv', '-f', staged, target]);
    moved = true;
    const reply = await run(platform, addon, [...CLI, 'DEBUG', 'RELOAD', 'NOSAVE']);
    if (!/^OK/.test(reply.trim())) throw new Error(`loading the snapshot failed: ${shortReason(reply)}`);
    if (aof) {
      await run(platform, addon, [...CLI, 'BGREWRITEAOF']);
      await awaitAofRewrite(platform, addon, platform.settings.backupCheck.timeoutMs);
    }
  } catch (error) {
    throw fail((error as Error).message);
  } finally {
    await run(platform, addon, ['rm', '-f', staged]).catch(() => {});
    if (moved && !aof) await removeUntilGone(platform, addon, target);
  }
}

/** Removes a file, retrying a while (bounded) if the add-on is restarting meanwhile. */
async function removeUntilGone(platform: Platform, addon: AddonRow, file: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await run(platform, addon, ['rm', '-f', file]);
      return;
    } catch (error) {
      if (Date.now() >= deadline) {
        platform.log(`restore into ${addon.name}: ${file} could not be removed: ${(error as Error).message}`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
