/**
 * Every backup is proven (issue 21): a capture is restored into a scratch
 * server and its tables and rows compared with what the source reported
 * for the dump's own snapshot; a dump damaged on disk, writes during the
 * capture and a check that runs out of disk each give a clear state. No
 * scratch container or network outlives a check.
 */
import { openSync, readdirSync, statSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listScratch, pipePsql } from './support/backup-session.js';
import { until } from './support/until.js';
import { startPlatd, type Platd } from './support/platd.js';

let platd: Platd;
let database: string;
const APP = 'vault';
const plat = (args: string[]) => platd.plat([...args, '-a', APP]);
const docker = new Docker();

/** SQL through `plat pg:psql`, as a user would pipe it; its stdout. */
const psql = async (text: string, timeoutMs?: number) =>
  (await pipePsql(platd, { app: APP, text, ...(timeoutMs ? { timeoutMs } : {}) })).stdout;
/** Rows the writer of the snapshot test has written (psql prints a table: the count is its one number line). */
async function duringRows(): Promise<number> {
  const table = await psql("select count(*) from items where name = 'during';\n");
  const count = /^\s*(\d+)\s*$/m.exec(table)?.[1];
  if (count === undefined) throw new Error(`no count in psql's answer: ${table}`);
  return Number(count);
}
/** Scratch containers of this platd's checks: none once a check is over. */
const scratchObjects = () => listScratch(docker, platd.instance);

function dumpFiles(): string[] {
  const root = join(platd.dataDir, 'backups');
  return readdirSync(root).flatMap((app) => readdirSync(join(root, app)).map((file) => join(root, app, file)));
}

beforeAll(async () => {
  // A small tmpfs for the scratch server, so that one test can outgrow it.
  platd = await startPlatd({ env: { PLAT_BACKUP_CHECK_DISK_MB: '128', PLAT_BACKUP_CHECK_TIMEOUT_S: '120' } });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  expect((await platd.plat(['apps:create', APP])).code).toBe(0);
  const created = await plat(['addons:create', 'postgres', '--json']);
  expect(created.code, created.output).toBe(0);
  database = JSON.parse(created.stdout).name;
  await psql(
    'create table items (id serial primary key, name text);' +
      "insert into items (name) select 'item ' || i from generate_series(1, 1200) i;" +
      'create schema audit; create table audit.events (at timestamptz default now(), what text);' +
      "insert into audit.events (what) values ('a'), ('b'), ('c'), ('d');" +
      'create table empty_one (x int);\n',
  );
}, 300_000);
afterAll(async () => {
  if (process.env.DEBUG_BACKUPS) console.log(platd?.output().slice(-6000));
  await platd?.destroy();
});

describe('postgres backups are proven', () => {
  it('captures a backup and verifies it with its table and row counts', async () => {
    const captured = await plat(['pg:backups:capture']);
    expect(captured.code, captured.output).toBe(0);
    expect(captured.stdout).toMatch(
      new RegExp(`^Backup b001 of ${database} captured \\(\\d+ bytes\\), verified: 3 tables, 1204 rows\\n$`),
    );
    expect(await scratchObjects()).toEqual([]);
    const [backup] = JSON.parse((await plat(['pg:backups', '--json'])).stdout);
    expect(backup).toMatchObject({
      id: 'b001',
      provider: 'postgres',
      verification: { state: 'verified', tables: 3, rows: 1204 },
    });
    expect(Date.parse(backup.verification.checked_at)).toBeGreaterThan(Date.now() - 300_000);
    const listed = await plat(['pg:backups']);
    expect(listed.stdout).toMatch(/b001 .*verified .* \(3 tables, 1204 rows\)/);
    const logs = await plat(['logs', '-n', '50', '--source', 'plat']);
    expect(logs.stdout).toContain(`Backup b001 of ${database} verified: 3 tables, 1204 rows`);
  });

  it('keeps counts of one snapshot while rows are written during the capture', async () => {
    // Inserts, each committed on its own, about ten a second, until told to stop (bounded: 180 s).
    // The stop signal is a sequence, not a table: the checked tables stay the three above.
    await psql('create sequence writer_stop;\n');
    let writerDone = false;
    let snapshotRows = 0;
    const writing = psql(
      "do $$ begin for i in 1..1800 loop insert into items (name) values ('during'); commit; " +
        'exit when (select last_value from writer_stop) > 1; perform pg_sleep(0.1); end loop; end $$;\n',
      240_000,
    ).finally(() => (writerDone = true));
    try {
      // Some rows written before the capture starts, so the snapshot falls in the middle of the writes.
      await until("a 'during' row written", async () => (await duringRows()) > 0);
      const captured = await plat(['pg:backups:capture', '--json']);
      expect(writerDone, 'the writer stopped before the capture returned').toBe(false);
      expect(captured.code, captured.output).toBe(0);
      const backup = JSON.parse(captured.stdout);
      expect(backup).toMatchObject({ id: 'b002', verification: { state: 'verified', tables: 3 } });
      snapshotRows = backup.verification.rows;
      expect(await scratchObjects()).toEqual([]);
    } finally {
      await psql("select setval('writer_stop', 2);\n");
      await writing;
    }
    // Some of the writes, not none and not all of them: the counts and the dump are of one moment between.
    const written = await duringRows();
    expect(snapshotRows).toBeGreaterThan(1204);
    expect(snapshotRows).toBeLessThan(1204 + written);
    await psql('drop sequence writer_stop;\n');
  });

  it('reports a dump damaged on disk as failed, with the reason pg_restore gives', async () => {
    // b001's dump is the oldest (dump files have random names).
    const [file] = dumpFiles()
      .filter((f) => f.endsWith('.dump'))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
    // Garbage over the middle of b001's dump: its data blocks no longer decompress.
    const fd = openSync(file!, 'r+');
    writeSync(fd, Buffer.alloc(512, 0x5a), 0, 512, Math.floor(statSync(file!).size / 2));
    closeSync(fd);
    const verified = await plat(['pg:backups:verify', 'b001']);
    expect(verified.code, verified.output).toBe(1);
    expect(verified.stdout).toMatch(/^Backup b001 of \S+ failed: pg_restore failed \(exit 1\): .+/);
    expect(await scratchObjects()).toEqual([]);
    const listed = JSON.parse((await plat(['pg:backups', '--json'])).stdout);
    expect(listed.find((b: { id: string }) => b.id === 'b001').verification).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('pg_restore'),
    });
    expect(listed.find((b: { id: string }) => b.id === 'b002').verification.state).toBe('verified');
    const alerts = JSON.parse((await plat(['alerts', '--json'])).stdout);
    expect(alerts).toContainEqual(
      expect.objectContaining({ kind: 'backup_unverified', subject: database, state: 'open' }),
    );
    // The newest backup is verified by default, and that resolves the alert.
    const newest = await plat(['pg:backups:verify']);
    expect(newest.code, newest.output).toBe(0);
    expect(newest.stdout).toContain('Backup b002');
    const after = JSON.parse((await plat(['alerts', '--json'])).stdout);
    expect(after.filter((a: { kind: string }) => a.kind === 'backup_unverified')).toEqual([]);
  });

  it('fails a check that runs out of disk cleanly, and the live database is untouched', async () => {
    // About 150 MB of rows: more than the scratch server's 128 MB tmpfs.
    await psql(
      'create table big (id int, filler text);' +
        'insert into big select i, repeat(md5(i::text), 40) from generate_series(1, 110000) i;\n',
      120_000,
    );
    const captured = await plat(['pg:backups:capture']);
    expect(captured.code, captured.output).toBe(1);
    expect(captured.stdout).toMatch(
      /captured \(\d+ bytes\), failed: the check ran out of disk \(128 MB, PLAT_BACKUP_CHECK_DISK_MB\)/,
    );
    expect(await scratchObjects()).toEqual([]);
    expect(await psql('select count(*) from big;\n')).toMatch(/110000/);
    await psql('drop table big;\n');
  });
});

/** redis-cli in an add-on's container, its password from the app's config as an app would have it. */
async function redisCli(addon: string, configVar: string, args: string[]): Promise<string> {
  const url = (await plat(['config:get', configVar])).stdout.trim();
  const password = decodeURIComponent(new URL(url).password);
  const [info] = await docker.listContainers({
    filters: { label: [`plat.instance=${platd.instance}`, `plat.addon=${addon}`] },
  });
  if (!info) throw new Error(`no container of ${addon}`);
  const exec = await docker.getContainer(info.Id).exec({
    Cmd: ['redis-cli', '--no-auth-warning', ...args],
    Env: [`REDISCLI_AUTH=${password}`],
    AttachStdout: true,
    AttachStderr: true,
  });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => stream.on('end', resolve));
  // Docker frames each chunk with an 8-byte header when there is no TTY.
  const raw = Buffer.concat(chunks);
  const parts: Buffer[] = [];
  for (let offset = 0; offset + 8 <= raw.length; offset += 8 + raw.readUInt32BE(offset + 4)) {
    parts.push(raw.subarray(offset + 8, offset + 8 + raw.readUInt32BE(offset + 4)));
  }
  return Buffer.concat(parts).toString().trim();
}

describe('redis backups are proven', () => {
  let cache: string;
  let premium: string;

  it('captures an RDB snapshot and verifies it with its key count', async () => {
    const created = await plat(['addons:create', 'redis', '--json']);
    expect(created.code, created.output).toBe(0);
    cache = JSON.parse(created.stdout).name;
    for (let i = 0; i < 20; i++)
      expect(await redisCli(cache, 'REDIS_URL', ['SET', `key:${i}`, `value ${i}`])).toBe('OK');
    expect(await redisCli(cache, 'REDIS_URL', ['SET', 'session', 'kept', 'EX', '3600'])).toBe('OK');
    const captured = await plat(['redis:backups:capture']);
    expect(captured.code, captured.output).toBe(0);
    expect(captured.stdout).toMatch(
      new RegExp(`^Backup b\\d{3} of ${cache} captured \\(\\d+ bytes\\), verified: 21 keys\\n$`),
    );
    expect(await scratchObjects()).toEqual([]);
    const [backup] = JSON.parse((await plat(['redis:backups', '--json'])).stdout);
    expect(backup).toMatchObject({ provider: 'redis', addon: cache, verification: { state: 'verified', keys: 21 } });
    // Postgres and redis backups share the app's numbering but not their lists.
    const pg = JSON.parse((await plat(['pg:backups', '--json'])).stdout);
    expect(pg.map((b: { id: string }) => b.id)).not.toContain(backup.id);
    expect((await plat(['pg:backups:restore', backup.id, database, '--confirm', APP])).stderr).toContain(
      'is a redis backup',
    );
  });

  it('restores the snapshot after a flush, and the add-on keeps serving', async () => {
    expect(await redisCli(cache, 'REDIS_URL', ['FLUSHALL'])).toBe('OK');
    expect(await redisCli(cache, 'REDIS_URL', ['DBSIZE'])).toBe('0');
    const [backup] = JSON.parse((await plat(['redis:backups', '--json'])).stdout);
    expect((await plat(['redis:backups:restore', backup.id])).stderr).toContain('confirm with the app');
    const restored = await plat(['redis:backups:restore', backup.id, '--confirm', APP]);
    expect(restored.code, restored.output).toBe(0);
    expect(await redisCli(cache, 'REDIS_URL', ['DBSIZE'])).toBe('21');
    expect(await redisCli(cache, 'REDIS_URL', ['GET', 'key:7'])).toBe('value 7');
    expect(Number(await redisCli(cache, 'REDIS_URL', ['TTL', 'session']))).toBeGreaterThan(3000);
  });

  it('restores into a premium (append-only) add-on, which keeps the keys across a restart', async () => {
    const created = await plat(['addons:create', 'redis:premium', '--as', 'QUEUE', '--json']);
    expect(created.code, created.output).toBe(0);
    premium = JSON.parse(created.stdout).name;
    const [backup] = JSON.parse((await plat(['redis:backups', '--json'])).stdout);
    const restored = await plat(['redis:backups:restore', backup.id, premium, '--confirm', APP]);
    expect(restored.code, restored.output).toBe(0);
    expect(await redisCli(premium, 'QUEUE_URL', ['DBSIZE'])).toBe('21');
    // The AOF was rewritten from the snapshot: a restart loads the same keys.
    const deadline = Date.now() + 30_000;
    while ((await redisCli(premium, 'QUEUE_URL', ['INFO', 'persistence'])).includes('aof_rewrite_in_progress:1')) {
      if (Date.now() > deadline) throw new Error('the AOF rewrite did not finish within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const [info] = await docker.listContainers({ filters: { label: [`plat.addon=${premium}`] } });
    await docker.getContainer(info!.Id).restart({ t: 10 });
    let size = '';
    while (Date.now() < deadline + 30_000 && size !== '21') {
      size = await redisCli(premium, 'QUEUE_URL', ['DBSIZE']).catch(() => '');
      if (size !== '21') await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(size).toBe('21');
  });
});
