/**
 * The state store a user gets from `npm start` with no DATABASE_URL: a
 * PostgreSQL server platd runs in its data dir, on a socket only, kept alive
 * while platd runs, adopted by the next platd, stopped by `npm run
 * stop-state`. And the data dirs platd must not run on.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningTcpPorts, processTree, proportionalMb, residentMb } from '../apps/api/src/testing/processes.js';
import { startPlatd, ROOT, STOP_STATE, type Platd } from './support/platd.js';
import { freePort } from './support/ports.js';
import { run } from './support/run.js';
import { until } from './support/until.js';

const PLATD = join(ROOT, 'apps/api/dist/main.js');

let platd: Platd;

beforeAll(async () => {
  platd = await startPlatd();
  const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
  expect(login.code).toBe(0);
});

afterAll(async () => {
  await platd?.destroy();
});

function postgresDir(): string {
  return join(platd.dataDir, 'postgres');
}

/** The postmaster's pid, from the file it keeps while it runs. */
function serverPid(): number | undefined {
  try {
    return Number(readFileSync(join(postgresDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** platd as a user starts it, on its own ports: for starts that must be refused. */
async function platdEnv(dataDir: string, apiPort: number, routerPort: number): Promise<NodeJS.ProcessEnv> {
  return {
    // Never the real server's 443 and 22, even for a start that is refused.
    PLAT_ROUTER_TLS_PORT: String(await freePort()),
    PLAT_SSH_PORT: '0',
    PATH: process.env.PATH,
    PLAT_DATA_DIR: dataDir,
    PLAT_API_PORT: String(apiPort),
    PLAT_API_HOST: '127.0.0.1',
    PLAT_ROUTER_PORT: String(routerPort),
    PLAT_ROUTER_HOST: '127.0.0.1',
    PLAT_INSTANCE: platd.instance,
  };
}

describe('the state server of a platd without DATABASE_URL', () => {
  it('is made on first start and listens on a socket in the data dir only', async () => {
    expect(platd.output()).toContain(`made the state server's database in ${postgresDir()}`);
    expect(platd.output()).toContain(
      `Plat is running (instance ${platd.instance}, state: PostgreSQL 15 in ${postgresDir()} (unix socket only))`,
    );
    const pid = serverPid()!;
    expect(alive(pid)).toBe(true);
    expect(existsSync(join(postgresDir(), '.s.PGSQL.5432'))).toBe(true);
    expect(listeningTcpPorts(processTree(pid))).toEqual([]);

    const platdPid = Number(readFileSync(join(platd.dataDir, 'platd.lock'), 'utf8').split(' ')[0]);
    const created = await platd.plat(['apps:create', 'kept-app']);
    expect(created.code).toBe(0);
    // Idle figures for the memory budget (printed, asserted loosely).
    const figures = {
      platdRssMb: residentMb([platdPid]),
      platdPssMb: proportionalMb([platdPid]),
      postgresRssMb: residentMb(processTree(pid)),
      postgresPssMb: proportionalMb(processTree(pid)),
      postgresProcesses: processTree(pid).length,
    };
    console.log(`idle after start: ${JSON.stringify(figures)}`);
    expect(figures.postgresPssMb).toBeLessThan(100);
  });

  it('is started again when it is killed, and platd keeps answering', async () => {
    const first = serverPid()!;
    process.kill(first, 'SIGKILL');
    const second = await until('a new state server', async () => {
      const pid = serverPid();
      return pid && pid !== first && alive(pid) && pid;
    });
    const apps = await until('platd to answer from the new server', async () => {
      const listed = await platd.plat(['apps']);
      return listed.code === 0 && listed;
    });
    expect(apps.stdout).toContain('kept-app');
    expect(platd.output()).toContain(`state server (pid ${first}) is gone; starting it again`);
    expect(listeningTcpPorts(processTree(second))).toEqual([]);
  });

  it('outlives a platd restart, and the next platd adopts it', async () => {
    const pid = serverPid()!;
    await platd.stop();
    expect(alive(pid)).toBe(true);
    await platd.start();
    expect(platd.output()).toContain(`adopted the running state server (pid ${pid})`);
    expect(serverPid()).toBe(pid);
    expect((await platd.plat(['apps'])).stdout).toContain('kept-app');
  });

  it('refuses a second platd on the same data dir, and the first keeps running', async () => {
    const pid = serverPid()!;
    const second = await run(process.execPath, [PLATD], {
      env: await platdEnv(platd.dataDir, await freePort(), await freePort()),
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(
        `platd could not start: another platd \\(pid \\d+\\) is using ${platd.dataDir}; ` +
          'give this one its own PLAT_DATA_DIR',
      ),
    );
    expect(serverPid()).toBe(pid);
    expect((await platd.plat(['apps'])).stdout).toContain('kept-app');
  });

  it('is stopped by `npm run stop-state`, which waits while platd runs', async () => {
    const pid = serverPid()!;
    const env = { PATH: process.env.PATH, PLAT_DATA_DIR: platd.dataDir };
    const refused = await run('npm', ['run', '-s', 'stop-state'], { cwd: ROOT, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`a platd \\(pid \\d+\\) runs on ${platd.dataDir}; stop that platd first`),
    );
    expect(alive(pid)).toBe(true);

    await platd.stop();
    const stopped = await run('npm', ['run', '-s', 'stop-state'], { cwd: ROOT, env });
    expect(stopped.stdout).toContain(`Stopped the state server in ${postgresDir()} (pid ${pid})`);
    expect(stopped.code).toBe(0);
    expect(alive(pid)).toBe(false);
    const again = await run(process.execPath, [STOP_STATE, 'stop'], { env });
    expect(again.stdout).toContain(`No state server runs in ${postgresDir()}`);

    await platd.start();
    expect(platd.output()).toContain('started the state server');
    expect((await platd.plat(['apps'])).stdout).toContain('kept-app');
  });
});

describe('a data dir from an older Plat (embedded PGlite)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'plat-pglite-'));
    chmodSync(dir, 0o711);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is refused with the folder named and the way to move it, and nothing is made', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(join(dataDir, 'pgdata'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, 'pgdata', 'PG_VERSION'), '17\n');
    const started = await run(process.execPath, [PLATD], {
      env: await platdEnv(dataDir, await freePort(), await freePort()),
    });
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(
      `platd could not start: ${join(dataDir, 'pgdata')} holds state in the embedded PGlite format of an older Plat`,
    );
    expect(started.stderr).toContain(`Import it once with: PLAT_DATA_DIR=${dataDir} npm run import-pglite`);
    expect(readdirSync(dataDir).sort()).toEqual(['pgdata', 'platd.lock']);
    expect(readdirSync(join(dataDir, 'pgdata'))).toEqual(['PG_VERSION']);
  });
});
