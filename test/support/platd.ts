import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeInstanceResources } from './docker-cleanup.js';
import { NODE, PATH_WITH_NODE } from './node.js';
import { freePort } from './ports.js';
import { run, type RunResult } from './run.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const PLATD = join(ROOT, 'apps/api/dist/main.js');
const PLAT = join(ROOT, 'apps/cli/bin/plat.js');
export const STOP_STATE = join(ROOT, 'apps/api/dist/state-server-main.js');

export interface Platd {
  instance: string;
  apiUrl: string;
  apiPort: number;
  routerPort: number;
  /** The router's HTTPS port (PLAT_ROUTER_TLS_PORT). */
  routerTlsPort: number;
  dataDir: string;
  adminToken: string;
  /** A user's environment: their own HOME (git and plat config), nothing of ours. */
  userEnv: NodeJS.ProcessEnv;
  output(): string;
  /** The running platd process's id (for reading its memory in /proc). */
  pid(): number;
  plat(args: string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  git(args: string[], cwd: string): Promise<RunResult>;
  stop(): Promise<void>;
  /** SIGKILL, as a crash would: no shutdown of any kind. */
  kill(): Promise<void>;
  /** Starts platd again on the same data dir and ports. */
  start(): Promise<void>;
  /** Stops platd, its router and every container, network and image it made. */
  destroy(): Promise<void>;
}

function waitForOutput(child: ChildProcess, text: string, timeoutMs: number, output: () => string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`platd did not print "${text}" within ${timeoutMs} ms:\n${output()}`)),
      timeoutMs,
    );
    const check = () => {
      if (output().includes(text)) {
        clearTimeout(timer);
        resolvePromise();
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`platd exited with ${code} before it was ready:\n${output()}`));
    });
  });
}

export async function startPlatd(options: { env?: NodeJS.ProcessEnv } = {}): Promise<Platd> {
  const instance = `t${randomBytes(4).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), `plat-${instance}-`));
  // The router's nginx workers must pass through to the data dir inside.
  chmodSync(dataDir, 0o711);
  const home = join(dataDir, 'home');
  mkdirSync(home);
  const [apiPort, routerTlsPort] = [await freePort(), await freePort()];
  // A test may choose the router's port first, for a CA that validates against it (pebble's httpPort).
  const routerPort = options.env?.PLAT_ROUTER_PORT ? Number(options.env.PLAT_ROUTER_PORT) : await freePort();
  const env: NodeJS.ProcessEnv = {
    PATH: PATH_WITH_NODE,
    PLAT_DATA_DIR: join(dataDir, 'data'),
    PLAT_API_PORT: String(apiPort),
    PLAT_API_HOST: '127.0.0.1',
    PLAT_ROUTER_PORT: String(routerPort),
    PLAT_ROUTER_TLS_PORT: String(routerTlsPort),
    PLAT_ROUTER_HOST: '127.0.0.1',
    PLAT_INSTANCE: instance,
    // git over SSH only where a test asks for it (with a free port): port 22 is the host's.
    PLAT_SSH_PORT: '0',
    ...options.env,
  };
  let child: ChildProcess | undefined;
  let log = '';
  const start = async () => {
    // As infra/start.sh runs it: a 1 MB young generation.
    child = spawn(NODE, ['--max-semi-space-size=1', PLATD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (log += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk));
    await waitForOutput(child, 'Plat is running', 120_000, () => log);
  };
  const stopStateServer = async () => {
    // It outlives platd on purpose; the documented command stops it.
    const stopped = await run(NODE, [STOP_STATE, 'stop'], {
      env: { PATH: PATH_WITH_NODE, PLAT_DATA_DIR: env.PLAT_DATA_DIR },
    });
    if (stopped.code !== 0)
      console.error(`stopping the state server of ${env.PLAT_DATA_DIR} failed: ${stopped.output}`);
  };
  /** What platd leaves running or made (after it stopped): its nginx, sshd, state server, Docker objects, dirs. */
  const cleanUp = async () => {
    const pidFile = join(env.PLAT_DATA_DIR!, 'router', 'nginx.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // already gone
      }
    }
    // platd stops its sshd; one left by a platd that was killed goes here.
    const sshdPid = join(env.PLAT_DATA_DIR!, 'ssh', 'sshd.pid');
    if (existsSync(sshdPid)) {
      const pid = Number(readFileSync(sshdPid, 'utf8').trim());
      try {
        // Only that sshd: a pid file left behind may name a reused pid.
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(env.PLAT_DATA_DIR!)) process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    // None when platd stopped before it made one (e.g. refused PLAT_RUNTIME=swarm).
    if (existsSync(join(env.PLAT_DATA_DIR!, 'postgres'))) await stopStateServer();
    await removeInstanceResources(instance);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (error) {
    // A platd that never came up may still have started its state server, nginx, or made its data dir.
    child?.kill('SIGKILL');
    if (child && child.exitCode === null && child.signalCode === null) await new Promise((r) => child!.on('exit', r));
    await cleanUp().catch((cleanup: Error) => console.error(`cleaning up after platd failed to start: ${cleanup}`));
    throw error;
  }
  const userEnv: NodeJS.ProcessEnv = {
    PATH: PATH_WITH_NODE,
    HOME: home,
    LANG: 'C.UTF-8',
    GIT_AUTHOR_NAME: 'Test User',
    GIT_AUTHOR_EMAIL: 'user@example.com',
    GIT_COMMITTER_NAME: 'Test User',
    GIT_COMMITTER_EMAIL: 'user@example.com',
    GIT_TERMINAL_PROMPT: '0',
    NO_COLOR: '1',
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.on('exit', r));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    instance,
    apiUrl: `http://${env.PLAT_API_HOST}:${apiPort}`,
    apiPort,
    routerPort,
    routerTlsPort,
    dataDir: env.PLAT_DATA_DIR!,
    adminToken: readFileSync(join(env.PLAT_DATA_DIR!, 'admin-token'), 'utf8').trim(),
    userEnv,
    output: () => log,
    pid: () => {
      if (!child?.pid || child.exitCode !== null) throw new Error('platd is not running');
      return child.pid;
    },
    plat: (args, runOptions = {}) =>
      run(NODE, [PLAT, ...args], { cwd: runOptions.cwd ?? home, env: { ...userEnv, ...runOptions.env } }),
    git: (args, cwd) => run('git', args, { cwd, env: userEnv }),
    stop,
    kill: async () => {
      const running = child;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((r) => running.on('exit', r));
      running.kill('SIGKILL');
      await exited;
    },
    start: async () => {
      log = '';
      await start();
    },
    destroy: async () => {
      await stop();
      await cleanUp();
    },
  };
}
