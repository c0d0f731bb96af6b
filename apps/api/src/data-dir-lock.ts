import { closeSync, ftruncateSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { runHostSync, type HostRunResult } from '@plat/core/host-process';

export class DataDirLocked extends Error {
  constructor(
    message: string,
    /** The holder's pid as it wrote it ('' when it had not yet). */
    readonly pid: string,
  ) {
    super(message);
  }
}

/** flock(1)'s exit code when the lock is taken (--conflict-exit-code). */
const HELD = 75;

/**
 * One platd per data dir: its state server and router config are not for
 * sharing. The lock is flock(2) on `platd.lock`, taken by util-linux's
 * flock(1) on a descriptor this process opened and lends it: a lock belongs
 * to the open file, so it stays with platd after flock exits and the kernel
 * drops it when platd exits in any way, SIGKILL included. Two starts cannot
 * both win (unlike a pid check), and nothing stale is left to clean up.
 * Node opens files close-on-exec, so the nginx and PostgreSQL daemons platd
 * starts, which outlive it, never hold the lock.
 */
export function lockDataDir(dataDir: string, holder = 'platd'): () => void {
  const path = join(dataDir, 'platd.lock');
  const fd = openSync(path, 'a+', 0o600);
  let result: HostRunResult;
  try {
    const args = ['--exclusive', '--nonblock', '--conflict-exit-code', String(HELD), '3'];
    result = runHostSync('flock', args, { lend: fd });
  } catch (error) {
    closeSync(fd);
    throw new Error(`could not lock ${path}: ${(error as Error).message}`);
  }
  if (result.code !== 0) {
    closeSync(fd);
    if (result.code === HELD) {
      const [pid, ...who] = readFileSync(path, 'utf8').trim().split(' ');
      const owner = `${who.join(' ') || 'platd'}${pid ? ` (pid ${pid})` : ''}`;
      const advice = 'give this one its own PLAT_DATA_DIR, or stop that one first';
      throw new DataDirLocked(`another ${owner} is using ${dataDir}; ${advice}`, pid ?? '');
    }
    throw new Error(`could not lock ${path}: ${result.stderr.trim()}`);
  }
  // For the message above; the lock itself is the flock, never this pid.
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid} ${holder}\n`);
  // The pid file of earlier versions.
  rmSync(join(dataDir, 'platd.pid'), { force: true });
  return () => {
    // Emptied first: a pid in an unlocked file would name no holder.
    ftruncateSync(fd, 0);
    closeSync(fd);
  };
}
