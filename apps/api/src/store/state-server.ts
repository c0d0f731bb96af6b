import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { runHost, type HostRunOptions } from '@plat/core/host-process';
import {
  parsePostmasterPid,
  renderStateServerConfig,
  STATE_SERVER_PORT,
  type PostmasterPid,
} from './state-server-config.js';

/** Debian's PostgreSQL 15 (infra/setup.sh installs postgresql-15). */
export const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';
const SERVER_USER = 'postgres';
const READY_TIMEOUT_MS = 60_000;
const LOG_ROTATE_BYTES = 10 * 1024 ** 2;

export interface StateServerOptions {
  /** platd's data dir; the server lives in its `postgres` folder. */
  dataDir: string;
  log?: (line: string) => void;
  binDir?: string;
  /** Start beside an older Plat's PGlite folder (only to import it). */
  besidePglite?: boolean;
}

interface Account {
  uid: number;
  gid: number;
  name: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Alive and not a zombie: a server that died but is not yet reaped is gone for our purpose. */
export function processAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** root runs the server as Debian's postgres user (postgres refuses root); anyone else as themselves. */
function serverAccount(): Account {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid, name: me.username };
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${SERVER_USER}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    const setUp = "run Plat's set-up (infra/setup.sh), which installs postgresql-15";
    throw new Error(`the user ${SERVER_USER} is missing; ${setUp}`);
  }
  return { uid: Number(uid), gid: Number(gid), name: SERVER_USER };
}

function accountName(uid: number): string {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.split(':')[2] === String(uid));
  return line ? line.split(':')[0]! : `uid ${uid}`;
}

/** The server's programs get a bare environment: nothing of platd's (its secrets) reaches them. */
const SERVER_ENV = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' };

/** How pg_ctl and initdb run: as the server's account, in a folder of its own. */
function asServer(options: { account: Account; cwd: string }): HostRunOptions {
  return { cwd: options.cwd, uid: options.account.uid, gid: options.account.gid, env: SERVER_ENV };
}

/**
 * The PostgreSQL server platd runs for its state when DATABASE_URL is unset:
 * Debian's PostgreSQL 15 in `<data dir>/postgres`, on a unix socket in that
 * folder only. Like the router's nginx it is its own daemon (its own session)
 * and outlives platd; the next platd adopts it from postmaster.pid. While
 * platd runs it is supervised: if it dies it is started again.
 * The caller holds the data dir lock, so no other platd starts or stops it.
 */
export class StateServer {
  readonly dir: string;
  readonly #options: StateServerOptions;
  readonly #binDir: string;
  #timer: NodeJS.Timeout | undefined;
  #pid: number | undefined;
  #restarting = false;
  #lastFailure: string | undefined;

  constructor(options: StateServerOptions) {
    this.#options = options;
    this.dir = join(options.dataDir, 'postgres');
    this.#binDir = options.binDir ?? POSTGRES_BIN_DIR;
  }

  get socketPath(): string {
    return join(this.dir, `.s.PGSQL.${STATE_SERVER_PORT}`);
  }

  get logPath(): string {
    return join(this.dir, 'server.log');
  }

  /** The running server of this folder, as its postmaster.pid tells, when its process is alive. */
  running(): PostmasterPid | undefined {
    let text: string;
    try {
      text = readFileSync(join(this.dir, 'postmaster.pid'), 'utf8');
    } catch {
      return undefined;
    }
    const pid = parsePostmasterPid(text);
    if (!pid || !processAlive(pid.pid)) return undefined;
    try {
      // A recycled pid is some other program: the server is not running.
      if (!readlinkSync(`/proc/${pid.pid}/exe`).includes('postgres')) return undefined;
    } catch {
      // Not ours to inspect (not root): trust the pid.
    }
    return pid;
  }

  /** Makes the server run: initdb on first start, adopts a running one, starts a stopped one. */
  async start(): Promise<{ pid: number; initialized: boolean; adopted: boolean }> {
    const { dataDir } = this.#options;
    const legacy = join(dataDir, 'pgdata');
    if (existsSync(legacy) && !this.#options.besidePglite) {
      throw new Error(
        `${legacy} holds state in the embedded PGlite format of an older Plat, ` +
          'which this platd no longer runs; nothing was changed. ' +
          `Import it once with: PLAT_DATA_DIR=${dataDir} npm run import-pglite ` +
          '(see "State from an older Plat" in the README)',
      );
    }
    const account = serverAccount();
    let initialized = false;
    if (existsSync(this.dir)) {
      this.#check(account);
      grantPassage(dataDir, account);
    } else {
      grantPassage(dataDir, account);
      await this.#initdb(account);
      this.#check(account);
      initialized = true;
    }
    const found = this.running();
    if (found) {
      this.#checkOwnServer(found);
      // A server still starting is waited for; one shutting down, until it is gone.
      const pid = await this.#waitReady(() => (this.running() ? undefined : 'gone')).catch(() => undefined);
      if (pid) {
        this.#pid = pid;
        return { pid, initialized, adopted: true };
      }
      if (this.running()) {
        const server = `the state server in ${this.dir} (pid ${found.pid})`;
        throw new Error(`${server} neither became ready nor stopped: ${this.#logTail()}`);
      }
    }
    const pid = await this.#spawn(account);
    this.#pid = pid;
    return { pid, initialized, adopted: false };
  }

  /** Checks every second that the server lives, and starts it again if not. */
  supervise(intervalMs = 1000): void {
    this.stopSupervising();
    this.#timer = setInterval(() => void this.#watch(), intervalMs);
    this.#timer.unref();
  }

  stopSupervising(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Fast shutdown (clients are disconnected, nothing is lost), waiting until the server is gone. */
  async stop(): Promise<number | undefined> {
    this.stopSupervising();
    const found = this.running();
    if (!found) return undefined;
    const account = serverAccount();
    const pgCtl = join(this.#binDir, 'pg_ctl');
    const args = ['stop', '-D', this.dir, '-m', 'fast', '-w', '-t', '60'];
    const result = await runHost(pgCtl, args, asServer({ account, cwd: this.dir }));
    if (result.code !== 0 && this.running()) {
      throw new Error(`the state server in ${this.dir} did not stop: ${result.output.trim()}`);
    }
    // pg_ctl returns once postmaster.pid is gone; the process exits a moment later.
    const deadline = Date.now() + 10_000;
    while (processAlive(found.pid) && Date.now() < deadline) await sleep(20);
    return found.pid;
  }

  async #watch(): Promise<void> {
    if (this.#restarting || (this.#pid && processAlive(this.#pid))) return;
    this.#restarting = true;
    try {
      const found = this.running();
      if (found) {
        this.#pid = found.pid;
        return;
      }
      if (!this.#lastFailure) this.#options.log?.(`state server (pid ${this.#pid}) is gone; starting it again`);
      const { pid } = await this.start();
      this.#options.log?.(`state server started again (pid ${pid})`);
      this.#lastFailure = undefined;
    } catch (error) {
      // Orphaned backends of a killed server hold its shared memory for a
      // moment; the next tick tries again. The same failure is said once.
      const message = (error as Error).message;
      if (message !== this.#lastFailure) this.#options.log?.(`state server did not start: ${message}`);
      this.#lastFailure = message;
    } finally {
      this.#restarting = false;
    }
  }

  /** initdb into a fresh folder beside the final one, renamed only when complete. */
  async #initdb(account: Account): Promise<void> {
    const fresh = `${this.dir}.initdb`;
    // Left by a start cut short: never used, holds nothing.
    rmSync(fresh, { recursive: true, force: true });
    mkdirSync(fresh, { mode: 0o700 });
    chownSync(fresh, account.uid, account.gid);
    const args = ['-D', fresh, '-U', 'postgres', '-E', 'UTF8', '--locale=C.UTF-8'];
    args.push('--auth-local=trust', '--auth-host=reject', '--no-instructions');
    const result = await runHost(join(this.#binDir, 'initdb'), args, asServer({ account, cwd: fresh }));
    if (result.code !== 0) {
      rmSync(fresh, { recursive: true, force: true });
      throw new Error(`initdb of the state server in ${this.dir} failed: ${result.output.trim()}`);
    }
    renameSync(fresh, this.dir);
  }

  /** A folder platd would not run: someone else's, corrupt, or another version. Nothing is changed. */
  #check(account: Account): void {
    const stat = statSync(this.dir);
    if (!stat.isDirectory()) {
      throw new Error(`${this.dir} is not a folder; move it away so platd can make its state server there`);
    }
    if (stat.uid !== account.uid) {
      throw new Error(
        `${this.dir} belongs to ${accountName(stat.uid)}, not ${account.name}, who runs Plat's state server; ` +
          `nothing was changed (chown -R ${account.name} it if it is Plat's)`,
      );
    }
    let version = '';
    try {
      version = readFileSync(join(this.dir, 'PG_VERSION'), 'utf8').trim();
    } catch {
      // handled below
    }
    const complete = ['global/pg_control', 'base', 'pg_wal'].every((part) => existsSync(join(this.dir, part)));
    if (version !== '15' || !complete) {
      throw new Error(
        `${this.dir} is not a complete PostgreSQL 15 data folder ` +
          `(${version ? `PG_VERSION ${version}` : 'no PG_VERSION'}${complete ? '' : ', files missing'}); ` +
          'nothing was changed. Restore it from a backup, or move it away to start with an empty state',
      );
    }
  }

  /** A server running on this folder but not as platd starts it: not ours to adopt. */
  #checkOwnServer(found: PostmasterPid): void {
    if (found.dataDir !== this.dir || found.socketDir !== this.dir || found.listenAddresses !== '') {
      throw new Error(
        `${this.dir} is in use by a PostgreSQL server (pid ${found.pid}) that platd did not start ` +
          `(socket in ${found.socketDir || 'none'}, listening on ${found.listenAddresses || 'no TCP address'}); ` +
          'nothing was changed. Stop it first',
      );
    }
  }

  async #spawn(account: Account): Promise<number> {
    writeFileSync(join(this.dir, 'postgresql.conf'), renderStateServerConfig({ socketDir: this.dir }));
    chownSync(join(this.dir, 'postgresql.conf'), account.uid, account.gid);
    try {
      if (statSync(this.logPath).size > LOG_ROTATE_BYTES) renameSync(this.logPath, `${this.logPath}.1`);
    } catch {
      // no log yet
    }
    const logFd = openSync(this.logPath, 'a', 0o600);
    let exited: string | undefined;
    try {
      const child = spawn(join(this.#binDir, 'postgres'), ['-D', this.dir], {
        cwd: this.dir,
        uid: account.uid,
        gid: account.gid,
        env: SERVER_ENV,
        // Its own session: Ctrl-C on platd's terminal does not reach it.
        detached: true,
        stdio: ['ignore', logFd, logFd],
      });
      child.on('error', (error) => (exited = error.message));
      child.on('exit', (code, signal) => (exited = `exited with ${signal ?? code}`));
      child.unref();
      return await this.#waitReady(() => exited);
    } finally {
      closeSync(logFd);
    }
  }

  /** Waits for postmaster.pid to say "ready" and the socket to exist. */
  async #waitReady(exited: (() => string | undefined) | undefined): Promise<number> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const failure = exited?.();
      if (failure) throw new Error(`the state server in ${this.dir} ${failure}: ${this.#logTail()}`);
      const found = this.running();
      if (found?.status === 'ready' && existsSync(this.socketPath)) return found.pid;
      await sleep(50);
    }
    const seconds = READY_TIMEOUT_MS / 1000;
    throw new Error(`the state server in ${this.dir} was not ready within ${seconds} s: ${this.#logTail()}`);
  }

  #logTail(): string {
    try {
      return readFileSync(this.logPath, 'utf8').trim().split('\n').slice(-5).join('\n');
    } catch {
      return '(no log)';
    }
  }
}

/**
 * The server's user must pass through the data dir to its own folder: the
 * data dir gets o+x (not o+r: nothing can be listed), every folder above
 * must already allow it, or starting fails naming the one that does not.
 */
function grantPassage(dataDir: string, account: Account): void {
  const stat = statSync(dataDir);
  if (stat.uid !== account.uid && !(stat.mode & 0o001)) chmodSync(dataDir, (stat.mode & 0o7777) | 0o001);
  for (let above = dirname(dataDir); ; above = dirname(above)) {
    const parent = statSync(above);
    const passable =
      parent.mode & 0o001 ||
      (parent.uid === account.uid && parent.mode & 0o100) ||
      (parent.gid === account.gid && parent.mode & 0o010);
    if (!passable) {
      throw new Error(
        `Plat's state server (user ${account.name}) cannot reach ${dataDir}: ${above} is not traversable; ` +
          'chmod o+x it or choose another PLAT_DATA_DIR',
      );
    }
    if (above === dirname(above)) return;
  }
}
