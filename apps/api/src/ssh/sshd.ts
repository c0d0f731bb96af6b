import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SSH_SHELL_SCRIPT } from '@plat/builder';
import { runHost } from '@plat/core/host-process';
import type { Sql } from '../store/database.js';
import { checkCommandWords } from './authorized-keys.js';
import { KeysFile } from './keys-file.js';
import { parsePublicKey } from './public-key.js';
import type { SshAccess, SshInfo } from './ssh-access.js';
import { renderSshdConfig } from './sshd-config.js';

/** Debian's OpenSSH server (infra/setup.sh installs openssh-server). */
export const SSHD = '/usr/sbin/sshd';
/** The account pushes log in as, and the one sshd's key lookups run as (infra/setup.sh makes both). */
export const LOGIN_USER = 'git';
export const KEYS_USER = 'plat-keys';
const KEYS_COMMAND_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'keys-command.js');
/**
 * sshd runs an AuthorizedKeysCommand only from a path that root alone can
 * write, every folder up to / included. Plat's Node.js and the data dir may
 * be anywhere (a checkout under /tmp, say), so a two-line script here, one
 * per sshd, stands in for `node keys-command.js <keys file>`.
 */
const KEYS_COMMAND_DIR = '/run/plat-ssh';
const HOST_KEY_TYPES = [
  ['ed25519', []],
  ['ecdsa', ['-b', '256']],
] as const;
const READY_TIMEOUT_MS = 10_000;
const LOG_ROTATE_BYTES = 10 * 1024 ** 2;
const MAX_RESTART_DELAY_MS = 60_000;
const KEYS_RESYNC_MS = 60_000;

interface Account {
  uid: number;
  gid: number;
}

function account(name: string): Account {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error(`the system user ${name} is missing: run Plat's set-up (infra/setup.sh)`);
  return { uid: Number(uid), gid: Number(gid) };
}

/** The account can reach into the folder: every folder above it lets others (or it) pass. */
function checkPassage(dir: string, who: string): void {
  for (let above = dir; ; above = dirname(above)) {
    if (!(statSync(above).mode & 0o001))
      throw new Error(`${above} does not let other users pass (chmod o+x), so ${who} cannot reach ${dir}`);
    if (above === '/') return;
  }
}

function ownedDir(path: string, mode: number, gid = 0): void {
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
  chownSync(path, 0, gid);
}

export interface SshServerOptions {
  dataDir: string;
  listenHost: string;
  port: number;
  sql: Sql;
  log: (line: string) => void;
}

/**
 * Plat's own sshd: Debian's OpenSSH run by platd as a dedicated instance
 * (`sshd -D -e -f <data dir>/ssh/sshd_config`), with host keys made once in
 * the data dir. It takes only the keys platd lists and runs only the forced
 * command ssh-shell.ts, which hands the session to platd's socket. platd
 * restarts it if it dies and stops it when platd stops; an sshd left by a
 * platd that was killed is stopped at the next start.
 */
export class SshServer implements SshAccess {
  readonly dir: string;
  readonly socketPath: string;
  readonly #options: SshServerOptions;
  #keys: KeysFile | undefined;
  #loginGid: number | undefined;
  #child: ChildProcess | undefined;
  #problem: string | undefined = 'not started yet';
  #hostKeys: SshInfo['hostKeys'] = [];
  #stopping = false;
  #restartDelay = 1000;
  #restartTimer: NodeJS.Timeout | undefined;
  #resyncTimer: NodeJS.Timeout | undefined;

  constructor(options: SshServerOptions) {
    this.#options = options;
    this.dir = join(options.dataDir, 'ssh');
    this.socketPath = join(this.dir, 'git', 'platd.sock');
  }

  get configPath(): string {
    return join(this.dir, 'sshd_config');
  }

  get keysPath(): string {
    return join(this.dir, 'keys', 'authorized-keys.json');
  }

  get logPath(): string {
    return join(this.dir, 'sshd.log');
  }

  /** The git account's group, which platd's session socket admits (known after prepare()). */
  get loginGid(): number {
    if (this.#loginGid === undefined) throw new Error('SshServer.prepare() has not run');
    return this.#loginGid;
  }

  info(): SshInfo {
    return {
      running: this.#child !== undefined && this.#problem === undefined,
      user: LOGIN_USER,
      port: this.#options.port,
      ...(this.#problem ? { problem: this.#problem } : {}),
      hostKeys: this.#hostKeys,
    };
  }

  async keysChanged(): Promise<void> {
    await this.#keys?.sync(this.#options.sql);
  }

  /**
   * Makes the folders (the socket's reachable by `git` only, the keys file by
   * `plat-keys` only) and the host keys; call before the session socket
   * listens. Throws, naming the cause, when git over SSH cannot work here.
   */
  async prepare(): Promise<void> {
    if (process.getuid?.() !== 0) throw new Error('git over SSH needs platd to run as root (sshd does)');
    if (!existsSync(SSHD)) throw new Error(`${SSHD} is missing: run Plat's set-up (infra/setup.sh)`);
    const login = account(LOGIN_USER);
    const keys = account(KEYS_USER);
    this.#loginGid = login.gid;
    const { dataDir } = this.#options;
    const stat = statSync(dataDir);
    if (!(stat.mode & 0o001)) chmodSync(dataDir, (stat.mode & 0o7777) | 0o001);
    ownedDir(this.dir, 0o711);
    checkPassage(this.dir, `the ${LOGIN_USER} user`);
    ownedDir(dirname(this.socketPath), 0o750, login.gid);
    ownedDir(dirname(this.keysPath), 0o750, keys.gid);
    const command = [process.execPath, SSH_SHELL_SCRIPT, this.socketPath];
    checkCommandWords([...command, KEYS_COMMAND_SCRIPT, this.keysPath]);
    this.#keys = new KeysFile({ path: this.keysPath, gid: keys.gid, command });
    await this.#keys.sync(this.#options.sql);
    await this.#checkScripts(login, keys);
    this.#hostKeys = [];
    for (const [type, extra] of HOST_KEY_TYPES) {
      const path = join(this.dir, `ssh_host_${type}_key`);
      if (!existsSync(path)) {
        const made = await runHost('ssh-keygen', ['-q', '-t', type, ...extra, '-N', '', '-C', 'plat', '-f', path]);
        if (made.code !== 0) throw new Error(`ssh-keygen could not make ${path}: ${made.output.trim()}`);
      }
      const parsed = parsePublicKey(readFileSync(`${path}.pub`, 'utf8'));
      this.#hostKeys.push({
        type: parsed.type,
        fingerprint: parsed.fingerprint,
        publicKey: `${parsed.type} ${parsed.body}`,
      });
    }
  }

  /** Starts sshd and keeps it running; a failure is kept for info() and logged, and retried with a backoff. */
  async start(): Promise<void> {
    this.#stopping = false;
    this.#resyncTimer ??= setInterval(() => void this.keysChanged().catch(() => {}), KEYS_RESYNC_MS).unref();
    try {
      await this.#spawn();
      this.#problem = undefined;
    } catch (error) {
      this.#failed((error as Error).message);
    }
  }

  /** Writes the stand-in for the keys command (see KEYS_COMMAND_DIR); returns its path. */
  #installKeysCommand(): string {
    const words = [process.execPath, KEYS_COMMAND_SCRIPT, this.keysPath];
    checkCommandWords(words);
    mkdirSync(KEYS_COMMAND_DIR, { recursive: true, mode: 0o755 });
    chownSync(KEYS_COMMAND_DIR, 0, 0);
    chmodSync(KEYS_COMMAND_DIR, 0o755);
    const name = createHash('sha256').update(this.dir).digest('hex').slice(0, 16);
    const path = join(KEYS_COMMAND_DIR, `keys-${name}`);
    const next = `${path}.next`;
    // Plain words only (checked above), so quoting them is enough.
    writeFileSync(next, `#!/bin/sh\nexec ${words.map((word) => `'${word}'`).join(' ')} "$1"\n`, { mode: 0o755 });
    chownSync(next, 0, 0);
    chmodSync(next, 0o755);
    renameSync(next, path);
    return path;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    clearInterval(this.#resyncTimer);
    this.#resyncTimer = undefined;
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  #failed(message: string): void {
    if (message !== this.#problem) this.#options.log(`git over SSH is not available: ${message}`);
    this.#problem = message;
    if (this.#stopping) return;
    this.#restartTimer = setTimeout(() => void this.start(), this.#restartDelay);
    this.#restartTimer.unref();
    this.#restartDelay = Math.min(this.#restartDelay * 2, MAX_RESTART_DELAY_MS);
  }

  /** Runs each script as the account sshd will run it as: a repo those accounts cannot read fails here, clearly. */
  async #checkScripts(login: Account, keys: Account): Promise<void> {
    const env = { PATH: '/usr/bin:/bin' };
    const shell = await runHost(process.execPath, [SSH_SHELL_SCRIPT, this.socketPath, 'check'], { ...login, env });
    if (!shell.output.includes('no shell'))
      throw new Error(
        `the ${LOGIN_USER} user cannot run ${SSH_SHELL_SCRIPT} with ${process.execPath}: ${shell.output.trim()}`,
      );
    const lookup = await runHost(process.execPath, [KEYS_COMMAND_SCRIPT, this.keysPath, 'SHA256:check'], {
      ...keys,
      env,
    });
    if (lookup.code !== 0)
      throw new Error(`the ${KEYS_USER} user cannot run ${KEYS_COMMAND_SCRIPT}: ${lookup.output.trim()}`);
  }

  async #spawn(): Promise<void> {
    const { listenHost, port } = this.#options;
    const config = renderSshdConfig({
      listenHost,
      port,
      hostKeys: HOST_KEY_TYPES.map(([type]) => join(this.dir, `ssh_host_${type}_key`)),
      pidFile: join(this.dir, 'sshd.pid'),
      loginUser: LOGIN_USER,
      keysCommand: [this.#installKeysCommand(), '%f'],
      keysUser: KEYS_USER,
    });
    writeFileSync(this.configPath, config, { mode: 0o600 });
    // Debian's sshd wants its privilege separation folder; without systemd nothing makes it.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const tested = await runHost(SSHD, ['-t', '-f', this.configPath], { env: { PATH: '/usr/bin:/bin' } });
    if (tested.code !== 0) throw new Error(`sshd refuses its config: ${tested.output.trim()}`);
    await this.#stopLeftover();
    const child = spawn(SSHD, ['-D', '-e', '-f', this.configPath], {
      env: { PATH: '/usr/bin:/bin' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const log = this.#logWriter();
    let said = '';
    const listening = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`sshd did not listen within 10 s: ${said.trim()}`)),
        READY_TIMEOUT_MS,
      );
      child.stderr!.on('data', (chunk: Buffer) => {
        log(chunk);
        if (said.length < 4096) said += chunk.toString();
        if (said.includes('Server listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`sshd exited with ${signal ?? code}: ${said.trim()}`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    try {
      await listening;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    this.#child = child;
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      if (Date.now() - startedAt > MAX_RESTART_DELAY_MS) this.#restartDelay = 1000;
      this.#failed(`sshd (pid ${child.pid}) exited with ${signal ?? code}; starting it again`);
    });
  }

  /** An sshd of this config still running (its platd was killed): stopped, so this one can listen. */
  async #stopLeftover(): Promise<void> {
    let pid: number;
    try {
      pid = Number(readFileSync(join(this.dir, 'sshd.pid'), 'utf8').trim());
    } catch {
      return;
    }
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return;
    }
    if (!cmdline.includes(this.configPath)) return;
    this.#options.log(`stopping the sshd a previous platd left running (pid ${pid})`);
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    const deadline = Date.now() + 5000;
    while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  /** sshd's log, in the data dir, rotated at 10 MB (one old file kept): scanners on port 22 never stop. */
  #logWriter(): (chunk: Buffer) => void {
    let size = existsSync(this.logPath) ? statSync(this.logPath).size : 0;
    return (chunk) => {
      // A full or failing data disk loses sshd's lines, never platd: this runs in a stream listener.
      try {
        if (size + chunk.length > LOG_ROTATE_BYTES) {
          renameSync(this.logPath, `${this.logPath}.1`);
          size = 0;
        }
        const fd = openSync(this.logPath, 'a', 0o600);
        try {
          writeSync(fd, chunk);
        } finally {
          closeSync(fd);
        }
        size += chunk.length;
      } catch {
        // Dropped; the next chunk tries again.
      }
    };
  }
}
