/**
 * The pieces of supervising the registry process that are not about images:
 * its log file, a registry left by a killed platd, waiting until it answers,
 * and the gate that keeps garbage collection apart from pushes and deletes.
 */
import type { ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  lchownSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';

const LOG_ROTATE_BYTES = 10 * 1024 ** 2;
const POLL_MS = 50;

/** The registry's log in the data dir, rotated at 10 MB with one old file kept. */
export class LogFile {
  readonly #path: string;
  #size: number;

  constructor(path: string) {
    this.#path = path;
    this.#size = existsSync(path) ? statSync(path).size : 0;
  }

  write(chunk: Buffer): void {
    // A full data disk loses the registry's lines, never platd: this runs in a stream listener.
    try {
      if (this.#size + chunk.length > LOG_ROTATE_BYTES) {
        renameSync(this.#path, `${this.#path}.1`);
        this.#size = 0;
      }
      const fd = openSync(this.#path, 'a', 0o600);
      try {
        writeSync(fd, chunk);
      } finally {
        closeSync(fd);
      }
      this.#size += chunk.length;
    } catch {
      // Dropped; the next chunk tries again.
    }
  }
}

/** A registry of this config still running (its platd was killed): stopped, so this one can listen. */
export async function stopLeftover(pidPath: string, configPath: string, log: (line: string) => void): Promise<void> {
  let pid: number;
  let cmdline: string;
  try {
    pid = Number(readFileSync(pidPath, 'utf8').trim());
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  // Only ours: the pid may have been reused by anything since.
  if (!cmdline.split('\0').includes(configPath)) return;
  log(`stopping the registry a previous platd left running (pid ${pid})`);
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 5000;
  while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
  if (existsSync(`/proc/${pid}`)) process.kill(pid, 'SIGKILL');
}

/** Resolves when `ready()` says so; rejects when the child exits first or the time is up, with its output. */
export function untilReady(
  child: ChildProcess,
  ready: () => Promise<boolean>,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    };
    const deadline = setTimeout(
      () => settle(new Error(`the registry did not answer within ${timeoutMs / 1000} s: ${output().trim()}`)),
      timeoutMs,
    );
    child.once('exit', (code, signal) =>
      settle(new Error(`the registry exited with ${signal ?? code}: ${output().trim().slice(-2000)}`)),
    );
    child.once('error', (error) => settle(error));
    const poll = async () => {
      while (!settled) {
        if (await ready().catch(() => false)) return settle();
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    void poll();
  });
}

/**
 * Many shared holders (pushes, deletes) or one exclusive (garbage
 * collection). A waiting exclusive holder stops new shared ones, so a steady
 * flow of pushes cannot starve it.
 */
export class Gate {
  #shared = 0;
  #exclusive: Promise<unknown> | undefined;
  #drained: (() => void) | undefined;

  async shared<T>(work: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive.catch(() => undefined);
    this.#shared++;
    try {
      return await work();
    } finally {
      this.#shared--;
      if (this.#shared === 0) this.#drained?.();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    while (this.#exclusive) await this.#exclusive.catch(() => undefined);
    const run = (async () => {
      if (this.#shared > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      this.#drained = undefined;
      return work();
    })();
    this.#exclusive = run;
    try {
      return await run;
    } finally {
      this.#exclusive = undefined;
    }
  }
}

/** Something accepts connections there already (a registry left by another platd, another program). */
export function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The account Debian's package made for the registry (infra/setup.sh installs it). */
export const REGISTRY_USER = 'docker-registry';

export interface Account {
  uid: number;
  gid: number;
}

/**
 * Who the registry runs as: Debian's `docker-registry` account when platd is
 * root and that account can reach the data dir (the data dir is given o+x,
 * passage only, as for sshd); otherwise platd's own user, with the reason
 * logged, because the swarm runtime needs its registry more than the extra wall.
 */
export function registryAccount(registryDir: string, log: (line: string) => void): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${REGISTRY_USER}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    log(`the registry runs as root: the system user ${REGISTRY_USER} is missing (run Plat's set-up)`);
    return undefined;
  }
  const dataDir = dirname(registryDir);
  const mode = statSync(dataDir).mode;
  if (!(mode & 0o001)) chmodSync(dataDir, (mode & 0o7777) | 0o001);
  for (let above = dirname(dataDir); ; above = dirname(above)) {
    if (!(statSync(above).mode & 0o001)) {
      log(`the registry runs as root: ${above} does not let other users pass, so ${REGISTRY_USER} cannot reach it`);
      return undefined;
    }
    if (above === '/') break;
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** Gives the account its storage; files a root-run registry made before are handed over too. */
export function ownStorage(storageDir: string, account: Account): void {
  const top = lstatSync(storageDir);
  chmodSync(storageDir, 0o700);
  if (top.uid === account.uid && top.gid === account.gid) return;
  chownSync(storageDir, account.uid, account.gid);
  for (const entry of readdirSync(storageDir, { recursive: true, withFileTypes: true }))
    lchownSync(join(entry.parentPath, entry.name), account.uid, account.gid);
}
