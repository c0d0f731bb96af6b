/**
 * The PostgreSQL server platd runs for its state, for real (Debian's
 * PostgreSQL 15, no Docker): made on first start, on a socket only, started
 * again when killed, adopted by the next platd, stopped on request, and never
 * run on a folder that is not its own.
 */
import { spawn } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { processAlive, POSTGRES_BIN_DIR, StateServer } from './state-server.js';
import { listeningTcpPorts, processTree } from '../testing/processes.js';

async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const value = await Promise.resolve()
      .then(check)
      .catch((error: Error) => {
        last = error;
        return undefined;
      });
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

const dirs: string[] = [];
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'plat-state-'));
  dirs.push(dir);
  return dir;
}

/** The folder and every file below it with owner, mode, size and mtime: "nothing changed" is this staying equal. */
function snapshot(dir: string): string[] {
  const top = statSync(dir);
  return [
    `${dir} ${top.uid} ${top.mode}`,
    ...readdirSync(dir, { recursive: true, withFileTypes: true }).map((entry) => {
      const path = join(entry.parentPath, entry.name);
      const stat = statSync(path);
      return `${path} ${stat.uid} ${stat.mode} ${stat.size} ${stat.mtimeMs}`;
    }),
  ];
}

afterAll(async () => {
  for (const dir of dirs) {
    await new StateServer({ dataDir: dir }).stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('the state server', () => {
  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const database of opened.splice(0)) await database.close();
  });

  it('is made on first start, listens on its socket only, and is stopped on request', async () => {
    const dir = dataDir();
    const lines: string[] = [];
    const database = await openDatabase({ dataDir: dir, log: (line) => lines.push(line) });
    opened.push(database);
    const server = new StateServer({ dataDir: dir });
    expect(lines.join('\n')).toMatch(/made the state server's database in .*\/postgres/);
    const running = server.running()!;
    expect(running.status).toBe('ready');
    expect(existsSync(server.socketPath)).toBe(true);
    expect(statSync(server.dir).mode & 0o777).toBe(0o700);
    expect(statSync(server.dir).uid).not.toBe(0);
    expect(statSync(dir).mode & 0o777).toBe(0o701);
    const rows = await database.sql<
      { one: number; pool: string }[]
    >`select 1 as one, current_setting('max_connections') as pool`;
    expect([...rows]).toEqual([{ one: 1, pool: '20' }]);
    // Ten queries at once each get their own connection.
    const pids = await Promise.all(
      Array.from({ length: 10 }, () => database.sql`select pg_backend_pid() as pid, pg_sleep(0.2)`),
    );
    expect(new Set(pids.map(([row]) => row!.pid)).size).toBe(10);
    expect(listeningTcpPorts(processTree(running.pid))).toEqual([]);

    await database.close();
    opened.length = 0;
    expect(await server.stop()).toBe(running.pid);
    expect(processAlive(running.pid)).toBe(false);
    expect(existsSync(server.socketPath)).toBe(false);
    expect(await server.stop()).toBeUndefined();
  });

  it('is started again when it dies, and adopted by the next platd', async () => {
    const dir = dataDir();
    const lines: string[] = [];
    const database = await openDatabase({ dataDir: dir, log: (line) => lines.push(line) });
    opened.push(database);
    const server = new StateServer({ dataDir: dir });
    await database.sql`create table notes (body text)`;
    await database.sql`insert into notes values ('kept')`;
    const first = server.running()!.pid;
    process.kill(first, 'SIGKILL');
    const second = await until('a new state server', () => {
      const now = server.running();
      return now && now.pid !== first && now.status === 'ready' && now.pid;
    });
    const rows = await until(
      'the pool to answer again',
      () => database.sql<{ body: string }[]>`select body from notes`,
    );
    expect(rows.map((row) => row.body)).toEqual(['kept']);
    expect(lines.join('\n')).toContain(`state server (pid ${first}) is gone; starting it again`);

    await database.close();
    opened.length = 0;
    const again: string[] = [];
    const next = await openDatabase({ dataDir: dir, log: (line) => again.push(line) });
    opened.push(next);
    expect(again).toEqual([`adopted the running state server (pid ${second})`]);
    expect((await next.sql`select body from notes`).map((row) => row.body)).toEqual(['kept']);
  });

  it("refuses an older Plat's PGlite folder, naming it, and makes nothing", async () => {
    const dir = dataDir();
    mkdirSync(join(dir, 'pgdata'));
    writeFileSync(join(dir, 'pgdata', 'PG_VERSION'), '17\n');
    const before = snapshot(dir);
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(
      `${join(dir, 'pgdata')} holds state in the embedded PGlite format`,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a postgres folder that belongs to another user, and changes nothing in it', async () => {
    const dir = dataDir();
    const folder = join(dir, 'postgres');
    mkdirSync(folder, { mode: 0o700 });
    writeFileSync(join(folder, 'PG_VERSION'), '15\n');
    chownSync(folder, 65534, 65534);
    const before = snapshot(dir);
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(`${folder} belongs to nobody, not postgres`);
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a corrupt postgres folder, and changes nothing in it', async () => {
    const dir = dataDir();
    const folder = join(dir, 'postgres');
    const database = await openDatabase({ dataDir: dir });
    await database.close();
    await new StateServer({ dataDir: dir }).stop();
    rmSync(join(folder, 'global', 'pg_control'));
    const before = snapshot(dir);
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(
      `${folder} is not a complete PostgreSQL 15 data folder (PG_VERSION 15, files missing)`,
    );
    expect(snapshot(dir)).toEqual(before);
  });

  it('refuses a folder in use by a server platd did not start', async () => {
    const dir = dataDir();
    const database = await openDatabase({ dataDir: dir });
    await database.close();
    const server = new StateServer({ dataDir: dir });
    await server.stop();
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const postgresUser = statSync(server.dir);
    chownSync(elsewhere, postgresUser.uid, postgresUser.gid);
    const other = spawn(join(POSTGRES_BIN_DIR, 'postgres'), ['-D', server.dir, '-k', elsewhere], {
      uid: postgresUser.uid,
      gid: postgresUser.gid,
      cwd: server.dir,
      stdio: 'ignore',
    });
    try {
      await until('the other server', () => server.running()?.status === 'ready');
      const conf = readFileSync(join(server.dir, 'postgresql.conf'), 'utf8');
      await expect(openDatabase({ dataDir: dir })).rejects.toThrow(
        `${server.dir} is in use by a PostgreSQL server (pid ${other.pid}) ` +
          `that platd did not start (socket in ${elsewhere}`,
      );
      expect(readFileSync(join(server.dir, 'postgresql.conf'), 'utf8')).toBe(conf);
      expect(server.running()?.pid).toBe(other.pid);
    } finally {
      other.kill('SIGINT');
      await until('the other server to stop', () => !processAlive(other.pid!));
    }
  });
});
