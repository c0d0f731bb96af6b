/**
 * A whole Plat moves in one command: plat admin:export on a Plat with two
 * apps (one with postgres rows, one with redis keys), the first Plat stopped
 * and everything it had in Docker removed, plat admin:import into a second
 * Plat with another data dir and ports: both apps serve their current
 * releases through the new router without a build, with the same config,
 * formation and data, and the old token works. A truncated or tampered
 * archive, and an import into a Plat with apps, are refused changing nothing.
 */
import {
  closeSync,
  copyFileSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { instanceContainers, removeInstanceResources } from './support/docker-cleanup.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

const docker = new Docker();
let source: Platd;
let fresh: Platd | undefined;
let sourceGone = false;
let dir: string;
let archive: string;
const instances: string[] = [];
/** What the apps showed on the first Plat, to compare on the second. */
const before: Record<string, { releases: unknown; config: unknown; formation: unknown; body: string }> = {};
const timings: Record<string, number> = {};
let keysBefore = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plat-move-'));
  source = await startPlatd();
  instances.push(source.instance);
}, 180_000);

afterAll(async () => {
  await fresh?.destroy().catch((error: Error) => console.error(`destroying the second Plat: ${error.message}`));
  if (!sourceGone)
    await source?.destroy().catch((error: Error) => console.error(`destroying the first: ${error.message}`));
  // Images loaded by the import still carry the first Plat's label under their new tags' parents.
  for (const instance of instances) await removeInstanceResources(instance).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 180_000);

const platAs = (platd: Platd, token: string, args: string[]) =>
  platd.plat(args, { env: { PLAT_API_URL: platd.apiUrl, PLAT_TOKEN: token } });

/** A command in an add-on's container (psql, redis-cli), found by its labels; resolves with its stdout. */
async function inAddon(instance: string, addon: string, cmd: string[]): Promise<string> {
  const [info] = await docker.listContainers({
    filters: { label: [`plat.instance=${instance}`, `plat.addon=${addon}`] },
  });
  if (!info) throw new Error(`no running container of ${addon} (instance ${instance})`);
  const exec = await docker.getContainer(info.Id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let out = '';
  let err = '';
  const stdout = new PassThrough().on('data', (chunk: Buffer) => (out += chunk));
  const stderr = new PassThrough().on('data', (chunk: Buffer) => (err += chunk));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise((resolve) => stream.on('end', resolve));
  const code = (await exec.inspect()).ExitCode;
  if (code !== 0) throw new Error(`${cmd.join(' ')} in ${addon} exited ${code}: ${err}`);
  return out.trim();
}

const psql = (instance: string, addon: string, url: string, query: string) => {
  const { username, password, pathname } = new URL(url);
  return inAddon(instance, addon, [
    'env',
    `PGPASSWORD=${password}`,
    'psql',
    '-h',
    '/tmp',
    '-U',
    username,
    '-d',
    pathname.slice(1),
    '-At',
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    query,
  ]);
};

/**
 * A copy of an archive with each add-on's data replaced by `data` and the
 * manifest's checksums made to match: an archive that verifies, but whose
 * add-on does not load (an import that fails midway).
 */
async function withBrokenAddonData(from: string, to: string, data: Buffer): Promise<void> {
  const reader = extract();
  const out = pack();
  const sums: { name: string; size: number; sha256: string }[] = [];
  reader.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    if (header.name === 'manifest.json') {
      stream.on('data', (chunk) => chunks.push(chunk as Buffer));
      stream.on('end', () => {
        const manifest = { ...JSON.parse(Buffer.concat(chunks).toString()), entries: sums };
        out.entry({ name: 'manifest.json' }, JSON.stringify(manifest), next);
      });
      return;
    }
    const hash = createHash('sha256');
    if (header.name.startsWith('addons/')) {
      stream.resume();
      stream.on('end', () => {
        sums.push({ name: header.name, size: data.length, sha256: hash.update(data).digest('hex') });
        out.entry({ name: header.name, mode: 0o600 }, data, next);
      });
      return;
    }
    const sink = out.entry({ name: header.name, size: header.size, mode: 0o600 }, (error) => {
      sums.push({ name: header.name, size: header.size!, sha256: hash.digest('hex') });
      next(error);
    });
    stream.on('data', (chunk) => hash.update(chunk as Buffer));
    stream.pipe(sink as unknown as NodeJS.WritableStream);
  });
  reader.on('finish', () => out.finalize());
  createReadStream(from).pipe(reader as unknown as NodeJS.WritableStream);
  await pipeline(out as unknown as Readable, createWriteStream(to));
}

/** redis-cli in the add-on's container, with the password of its URL (in the environment, not the arguments). */
const redisCli = (instance: string, addon: string, url: string, args: string[]) =>
  inAddon(instance, addon, [
    'env',
    `REDISCLI_AUTH=${new URL(url).password}`,
    'redis-cli',
    '--no-auth-warning',
    ...args,
  ]);

/** The keys the test writes: 200 of them, and what one read of them all returns. */
const KEYS = Array.from({ length: 200 }, (_, i) => [`key:${i}`, `value-${i * 7}`]);
const keysRead = (instance: string, addon: string, url: string) =>
  redisCli(instance, addon, url, ['MGET', ...KEYS.map(([key]) => key!)]);

const ROWS_QUERY = "select count(*) || ':' || sum(length(name)) from items";

async function snapshot(platd: Platd, token: string, app: string) {
  const json = async (args: string[]) => {
    const result = await platAs(platd, token, [...args, '-a', app, '--json']);
    expect(result.code, result.output).toBe(0);
    return JSON.parse(result.stdout);
  };
  const releases = (await json(['releases'])).map((release: { version: number; description: string }) => ({
    version: release.version,
    description: release.description,
  }));
  return { releases, config: await json(['config']), formation: await json(['scale']) };
}

it('exports a Plat with two apps, their add-ons and data to one private archive', async () => {
  const admin = source.adminToken;
  expect((await source.plat(['login', '--api-url', source.apiUrl, '--token', admin])).code).toBe(0);
  for (const app of ['shop', 'cache']) {
    const repo = await exampleRepo(source, 'static-site');
    // apps:create in the repo adds its `platform` remote, with the login's token.
    const created = await source.plat(['apps:create', app], { cwd: repo });
    expect(created.code, created.output).toBe(0);
    const push = await source.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);
    expect((await platAs(source, admin, ['config:set', `GREETING=${app}`, '-a', app])).code).toBe(0);
  }
  const pg = await platAs(source, admin, ['addons:create', 'postgres', '-a', 'shop', '--json']);
  expect(pg.code, pg.output).toBe(0);
  const pgName = JSON.parse(pg.stdout).name as string;
  const pgUrl = (await platAs(source, admin, ['config:get', 'DATABASE_URL', '-a', 'shop'])).stdout.trim();
  await psql(
    source.instance,
    pgName,
    pgUrl,
    'create table items (id int primary key, name text); ' +
      "insert into items select g, 'item ' || g from generate_series(1, 500) g",
  );
  expect(await psql(source.instance, pgName, pgUrl, ROWS_QUERY)).toBe('500:3892');
  // A backup file in the data dir travels too, and its row names it in the new data dir.
  const captured = await platAs(source, admin, ['pg:backups:capture', '-a', 'shop', '--json']);
  expect(captured.code, captured.output).toBe(0);
  expect((await platAs(source, admin, ['domains:add', 'www.shop.test', '-a', 'shop'])).code).toBe(0);
  const redis = await platAs(source, admin, ['addons:create', 'redis', '-a', 'cache', '--json']);
  expect(redis.code, redis.output).toBe(0);
  const redisName = JSON.parse(redis.stdout).name as string;
  const redisUrl = (await platAs(source, admin, ['config:get', 'REDIS_URL', '-a', 'cache'])).stdout.trim();
  expect(await redisCli(source.instance, redisName, redisUrl, ['MSET', ...KEYS.flat()])).toBe('OK');
  expect(await redisCli(source.instance, redisName, redisUrl, ['DBSIZE'])).toBe('200');
  keysBefore = await keysRead(source.instance, redisName, redisUrl);
  expect((await platAs(source, admin, ['scale', 'web=2', '-a', 'cache'])).code).toBe(0);

  for (const app of ['shop', 'cache']) {
    const served = await until(
      `${app} serving on the first Plat`,
      async () => {
        const response = await get(source.routerPort, `${app}.localhost`);
        return response.status === 200 && response;
      },
      90_000,
    );
    before[app] = { ...(await snapshot(source, admin, app)), body: served.body };
  }

  archive = join(dir, 'plat.tar');
  const started = Date.now();
  const exported = await platAs(source, admin, ['admin:export', archive]);
  timings.export_s = (Date.now() - started) / 1000;
  expect(exported.code, exported.output).toBe(0);
  expect(exported.stdout).toContain(`Exported this Plat to ${archive}`);
  expect(statSync(archive).mode & 0o777).toBe(0o600);
  expect((await platAs(source, admin, ['admin:export', archive])).output).toContain('exists: name another file');
  // Damaged copies (the archive holds images: hundreds of MB, so never read whole):
  // cut in the middle, and one byte of the state dump (its second entry) changed.
  const head = Buffer.alloc(256 * 1024);
  const fd = openSync(archive, 'r');
  readSync(fd, head, 0, head.length, 0);
  closeSync(fd);
  expect(head.toString('latin1')).toContain('"format": "plat-export"');
  const truncated = join(dir, 'truncated.tar');
  copyFileSync(archive, truncated);
  truncateSync(truncated, Math.floor(statSync(archive).size / 2));
  const at = head.indexOf('state/state.dump');
  expect(at).toBeGreaterThan(0);
  const tampered = join(dir, 'tampered.tar');
  copyFileSync(archive, tampered);
  const write = openSync(tampered, 'r+');
  const byte = Buffer.alloc(1);
  readSync(write, byte, 0, 1, at + 512 + 200);
  byte[0] = byte[0]! ^ 0xff;
  writeSync(write, byte, 0, 1, at + 512 + 200);
  closeSync(write);
  copyFileSync(archive, join(dir, 'again.tar'));

  // The first Plat goes, with every container, volume, network and image it had.
  const stopped = Date.now();
  timings.stopped_at = stopped;
  await source.destroy();
  sourceGone = true;
  expect(await instanceContainers(source.instance)).toEqual([]);
}, 600_000);

it('refuses a truncated or tampered archive on a fresh Plat, changing nothing', async () => {
  fresh = await startPlatd();
  instances.push(fresh.instance);
  const token = fresh.adminToken;
  const truncated = await platAs(fresh, token, ['admin:import', join(dir, 'truncated.tar')]);
  expect(truncated.code).not.toBe(0);
  expect(truncated.output, fresh.output().slice(-3000)).toMatch(/truncated/);
  const tampered = await platAs(fresh, token, ['admin:import', join(dir, 'tampered.tar')]);
  expect(tampered.code).not.toBe(0);
  expect(tampered.output).toMatch(/state\/state\.dump does not match its checksum/);
  // Nothing changed: no apps, this Plat's token still works, nothing in Docker.
  const apps = await platAs(fresh, token, ['apps', '--json']);
  expect(apps.code, apps.output).toBe(0);
  expect(JSON.parse(apps.stdout)).toEqual([]);
  expect(await instanceContainers(fresh.instance)).toEqual([]);
}, 300_000);

it('undoes an import that fails midway (add-on data that does not load), leaving the Plat as it was', async () => {
  const platd = fresh!;
  const broken = join(dir, 'broken.tar');
  await withBrokenAddonData(archive, broken, Buffer.from('PGDMP but not really a dump\n'));
  const failed = await platAs(platd, platd.adminToken, ['admin:import', broken]);
  expect(failed.code, platd.output().slice(-3000)).not.toBe(0);
  expect(failed.output).toMatch(/The import failed while loading the data of (postgres|redis)-/);
  expect(failed.output).toContain('this Plat is as it was before the import');
  // This Plat's own token works again, and it has no apps, add-ons or dynos.
  const apps = await platAs(platd, platd.adminToken, ['apps', '--json']);
  expect(apps.code, apps.output).toBe(0);
  expect(JSON.parse(apps.stdout)).toEqual([]);
  await until(
    'no containers of the undone import',
    async () => (await instanceContainers(platd.instance)).length === 0,
    60_000,
  );
  rmSync(broken, { force: true });
}, 300_000);

it('imports it into the fresh Plat: releases, config, formation, domains, data; served without a build', async () => {
  const platd = fresh!;
  const started = Date.now();
  const imported = await platAs(platd, platd.adminToken, ['admin:import', archive]);
  timings.import_s = (Date.now() - started) / 1000;
  expect(imported.code, `${imported.output}\n${platd.output().slice(-3000)}`).toBe(0);
  expect(imported.stdout).toContain('Imported 2 app(s)');
  // The old token works here; this Plat's own no longer does.
  const old = source.adminToken;
  expect((await platAs(platd, old, ['whoami'])).code).toBe(0);
  expect((await platAs(platd, platd.adminToken, ['apps'])).code).not.toBe(0);

  for (const app of ['shop', 'cache']) {
    const served = await until(
      `${app} serving through the second Plat's router`,
      async () => {
        const response = await get(platd.routerPort, `${app}.localhost`);
        return response.status === 200 && response;
      },
      120_000,
    );
    expect(served.body).toBe(before[app]!.body);
    const now = await snapshot(platd, old, app);
    expect(now.releases).toEqual(before[app]!.releases);
    expect(now.config).toEqual(before[app]!.config);
    expect(now.formation).toEqual(before[app]!.formation);
  }
  timings.downtime_s = (Date.now() - timings.stopped_at!) / 1000;
  const domains = await platAs(platd, old, ['domains', '-a', 'shop', '--json']);
  expect(domains.stdout).toContain('www.shop.test');
  const addons = JSON.parse((await platAs(platd, old, ['addons', '-a', 'shop', '--json'])).stdout);
  const pgName = addons.find((addon: { provider: string }) => addon.provider === 'postgres').name as string;
  const pgUrl = (await platAs(platd, old, ['config:get', 'DATABASE_URL', '-a', 'shop'])).stdout.trim();
  expect(await psql(platd.instance, pgName, pgUrl, ROWS_QUERY)).toBe('500:3892');
  const download = join(dir, 'b001.dump');
  const downloaded = await platd.plat(['pg:backups:download', 'b001', '-a', 'shop', '-o', download], {
    env: { PLAT_API_URL: platd.apiUrl, PLAT_TOKEN: old },
  });
  expect(downloaded.code, downloaded.output).toBe(0);
  expect(statSync(download).size).toBeGreaterThan(1000);
  const cacheAddons = JSON.parse((await platAs(platd, old, ['addons', '-a', 'cache', '--json'])).stdout);
  const redisName = cacheAddons.find((addon: { provider: string }) => addon.provider === 'redis').name as string;
  const redisUrl = (await platAs(platd, old, ['config:get', 'REDIS_URL', '-a', 'cache'])).stdout.trim();
  expect(await redisCli(platd.instance, redisName, redisUrl, ['DBSIZE'])).toBe('200');
  expect(await keysRead(platd.instance, redisName, redisUrl)).toBe(keysBefore);
  // The images are this Plat's own now: tagged and labelled with its instance.
  const images = await docker.listImages({ filters: { label: [`plat.instance=${platd.instance}`] } });
  expect(
    images.flatMap((image) => image.RepoTags ?? []).some((tag) => tag.startsWith(`plat/${platd.instance}-shop:`)),
  ).toBe(true);
  console.log(`plat-move timings: ${JSON.stringify(timings)}`);
}, 600_000);

it('refuses to import into a Plat that has apps, naming them', async () => {
  const again = await platAs(fresh!, source.adminToken, ['admin:import', join(dir, 'again.tar')]);
  expect(again.code).not.toBe(0);
  expect(again.output).toContain('already has 2 app(s) (cache, shop)');
  expect(again.output).toContain("the archive's cache, shop clash");
}, 300_000);
