/**
 * bench/backups: a Plat with one app and a postgres add-on of --mb megabytes
 * (1024 by default; the 1 GB): `plat pg:backups:capture` and its
 * check (the dump restored into a scratch server and every table's rows
 * compared), then `plat admin:export`, `plat admin:import` into a second
 * Plat, and the time until the app serves there, next to the floor of the
 * same run: a plain pg_dump -Fc and pg_restore of the same database inside
 * its container. Writes the `capture` and `move` keys of results/backups.json,
 * keeping what else the file holds.
 *
 *   flock /tmp/plat-docker.lock npx tsx bench/backups.ts --mb 1024
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { get } from '../test/support/http.js';
import { startPlatd, type Platd } from '../test/support/platd.js';
import { removeInstanceResources } from '../test/support/docker-cleanup.js';
import { until } from '../test/support/until.js';
import { deployExample, round } from './support.js';

const docker = new Docker();
const at = process.argv.indexOf('--mb');
const megabytes = at >= 0 ? Number(process.argv[at + 1]) : 1024;
if (!Number.isInteger(megabytes) || megabytes < 1) throw new Error('--mb takes a whole number of megabytes');

const seconds = (start: number) => round((Date.now() - start) / 1000, 2);

async function inAddon(instance: string, addon: string, cmd: string[]): Promise<string> {
  const [info] = await docker.listContainers({
    filters: { label: [`plat.instance=${instance}`, `plat.addon=${addon}`] },
  });
  if (!info) throw new Error(`no container of ${addon}`);
  const exec = await docker.getContainer(info.Id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let out = '';
  let err = '';
  docker.modem.demuxStream(
    stream,
    new PassThrough().on('data', (c: Buffer) => (out += c)),
    new PassThrough().on('data', (c: Buffer) => (err += c)),
  );
  await new Promise((resolve) => stream.on('end', resolve));
  const code = (await exec.inspect()).ExitCode;
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}: ${err.slice(-500)}`);
  return out.trim();
}

function psqlArgs(url: string, database?: string): string[] {
  const { username, pathname } = new URL(url);
  return ['-h', '/tmp', '-U', username, '-d', database ?? pathname.slice(1)];
}

let source: Platd | undefined;
let target: Platd | undefined;
const dir = mkdtempSync(join(tmpdir(), 'bench-move-'));
const instances: string[] = [];
try {
  // The check restores into a tmpfs: room for the database and the WAL its restore writes.
  source = await startPlatd({
    env: { PLAT_API_RATE_LIMIT: '0', PLAT_BACKUP_CHECK_DISK_MB: String(Math.max(2048, megabytes * 4)) },
  });
  instances.push(source.instance);
  const admin = source.adminToken;
  if ((await source.plat(['login', '--api-url', source.apiUrl, '--token', admin])).code !== 0) throw new Error('login');
  await deployExample(source, 'shop', 'static-site');
  const created = await source.plat(['addons:create', 'postgres', '-a', 'shop', '--json']);
  if (created.code !== 0) throw new Error(created.output);
  const addon = JSON.parse(created.stdout).name as string;
  const url = (await source.plat(['config:get', 'DATABASE_URL', '-a', 'shop'])).stdout.trim();
  const instance = source.instance;
  // Rows of ~1 KB that do not compress away (md5 chains), in batches of 64 MB.
  await inAddon(instance, addon, [
    'psql',
    ...psqlArgs(url),
    '-c',
    'create table blob (id bigint primary key, body text)',
  ]);
  const rows = megabytes * 1024;
  for (let from = 0; from < rows; from += 65_536) {
    const to = Math.min(rows, from + 65_536) - 1;
    await inAddon(instance, addon, [
      'psql',
      ...psqlArgs(url),
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      'insert into blob select g, ' +
        "(select string_agg(md5(g::text || i::text), '') from generate_series(1, 32) i) " +
        `from generate_series(${from}, ${to}) g`,
    ]);
  }
  const size = Number(
    await inAddon(instance, addon, [
      'psql',
      ...psqlArgs(url),
      '-At',
      '-c',
      'select pg_database_size(current_database())',
    ]),
  );

  // The floor: pg_dump and pg_restore of the same database, in its container, no platform around them.
  let start = Date.now();
  await inAddon(instance, addon, ['pg_dump', '-Fc', ...psqlArgs(url), '-f', '/tmp/floor.dump']);
  const pgDump = seconds(start);
  await inAddon(instance, addon, ['createdb', ...psqlArgs(url).slice(0, 4), 'floor']);
  start = Date.now();
  await inAddon(instance, addon, ['pg_restore', '--no-owner', ...psqlArgs(url, 'floor'), '/tmp/floor.dump']);
  const pgRestore = seconds(start);
  await inAddon(instance, addon, ['sh', '-c', 'rm -f /tmp/floor.dump']);
  await inAddon(instance, addon, ['dropdb', ...psqlArgs(url).slice(0, 4), 'floor']);

  // Plat's capture and its check, as the CLI waits for both; the check's own time is in the backup's record.
  start = Date.now();
  const captured = await source.plat(['pg:backups:capture', '-a', 'shop']);
  if (captured.code !== 0) throw new Error(captured.output);
  const captureAndCheck = seconds(start);
  const [backup] = JSON.parse((await source.plat(['pg:backups', '-a', 'shop', '--json'])).stdout) as {
    size_bytes: number;
    verification: { state: string; duration_ms?: number; rows?: number; tables?: number };
  }[];
  if (backup?.verification.state !== 'verified') throw new Error(`the backup was not verified: ${captured.output}`);
  const checkSeconds = round((backup.verification.duration_ms ?? 0) / 1000, 2);
  const capture = {
    database_mb: round(size / 1024 ** 2, 1),
    dump_mb: round(backup.size_bytes / 1024 ** 2, 1),
    floor_pg_dump_s: pgDump,
    floor_pg_restore_s: pgRestore,
    capture_and_check_s: captureAndCheck,
    check_s: checkSeconds,
    capture_s: round(captureAndCheck - checkSeconds, 2),
    rows_checked: backup.verification.rows,
    tables_checked: backup.verification.tables,
  };

  const archive = join(dir, 'plat.tar');
  start = Date.now();
  const exported = await source.plat(['admin:export', archive]);
  if (exported.code !== 0) throw new Error(exported.output);
  const exportSeconds = seconds(start);
  const archiveBytes = statSync(archive).size;
  const stopped = Date.now();
  await source.destroy();
  source = undefined;

  target = await startPlatd({ env: { PLAT_API_RATE_LIMIT: '0' } });
  instances.push(target.instance);
  start = Date.now();
  const imported = await target.plat(['admin:import', archive], {
    env: { PLAT_API_URL: target.apiUrl, PLAT_TOKEN: target.adminToken },
  });
  if (imported.code !== 0) throw new Error(imported.output);
  const importSeconds = seconds(start);
  const platd = target;
  await until(
    'shop serving on the new Plat',
    async () => (await get(platd.routerPort, 'shop.localhost')).status === 200,
    300_000,
  );
  const servingAfterImport = seconds(start);
  // platd's own start (a fresh Plat is started before the import) is not counted as downtime.
  const move = {
    database_mb: round(size / 1024 ** 2, 1),
    requested_mb: megabytes,
    note: megabytes < 1024 ? `a ${megabytes} MB database, smaller than the issue's 1 GB` : undefined,
    floor: { pg_dump_s: pgDump, pg_restore_s: pgRestore, total_s: round(pgDump + pgRestore, 2) },
    export_s: exportSeconds,
    archive_mb: round(archiveBytes / 1024 ** 2, 1),
    import_s: importSeconds,
    serving_after_import_s: servingAfterImport,
    stop_to_serving_s: seconds(stopped),
  };
  const path = join(import.meta.dirname, 'results', 'backups.json');
  const before = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  const date = new Date().toISOString();
  const result = { ...before, benchmark: 'backups', capture, move, machine: '2 cores', move_date: date, date };
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify({ capture, move }, null, 2));
} finally {
  await source?.destroy().catch(() => undefined);
  await target?.destroy().catch(() => undefined);
  for (const instance of instances) await removeInstanceResources(instance).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
