/**
 * Add-ons belong to exactly one app. Two apps (or two requests) racing for
 * the same attachment name never share or clobber a container or volume; a
 * rename keeps an app's add-ons reachable; a corrupt dump restores nothing
 * and keeps the rows; a platd killed mid-provisioning leaves nothing behind
 * after its next start, and labelled leftovers no add-on owns are removed
 * while unlabelled look-alikes stay. Each test also checks that the other
 * app's add-on still answers with its data.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from '../support/app-repo.js';
import { startPlatd, ROOT, type Platd } from '../support/platd.js';
import { run } from '../support/run.js';
import { until } from '../support/until.js';

const docker = new Docker();
let platd: Platd;
let ids: Record<string, string> = {};

interface Addon {
  name: string;
  config_var: string;
  state: string;
}

const plat = (args: string[]) => platd.plat(args);
const json = async <T>(args: string[]): Promise<T> => {
  const result = await plat([...args, '--json']);
  if (result.code !== 0) throw new Error(`plat ${args.join(' ')} failed: ${result.output}`);
  return JSON.parse(result.stdout) as T;
};

/** Containers or volumes of this platd labelled as add-ons, optionally of one app. */
async function addonContainers(appId?: string): Promise<Docker.ContainerInfo[]> {
  const label = [`plat.instance=${platd.instance}`, 'plat.addon', ...(appId ? [`plat.app-id=${appId}`] : [])];
  return docker.listContainers({ all: true, filters: { label } });
}
async function addonVolumes(appId?: string): Promise<Docker.VolumeInspectInfo[]> {
  const label = [`plat.instance=${platd.instance}`, 'plat.addon', ...(appId ? [`plat.app-id=${appId}`] : [])];
  return (await docker.listVolumes({ filters: { label } })).Volumes ?? [];
}

/** redis-cli inside the add-on's own container, with the password from the app's config var. */
async function redis(app: string, configVar: string, args: string[]): Promise<string> {
  const url = new URL((await plat(['config:get', configVar, '-a', app])).stdout.trim());
  const [container] = await docker.listContainers({
    filters: { label: [`plat.instance=${platd.instance}`, `plat.addon=${url.hostname}`] },
  });
  if (!container) throw new Error(`no running container of ${url.hostname}`);
  const result = await run('docker', [
    'exec',
    container.Id,
    'redis-cli',
    '--no-auth-warning',
    '-a',
    decodeURIComponent(url.password),
    ...args,
  ]);
  if (result.code !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${result.output}`);
  return result.stdout.trim();
}

/** `echo SQL | plat pg:psql -a APP`, as a user pipes it. */
function psql(app: string, sqlText: string): Promise<{ code: number; out: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'apps/cli/bin/plat.js'), 'pg:psql', '-a', app], {
    env: platd.userEnv,
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk));
  child.stdin.end(sqlText);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, out })));
}

async function rowCount(app: string): Promise<number> {
  const result = await psql(app, 'select count(*) as n from items;\n');
  const count = /n\s*\n-+\n\s*(\d+)\n/.exec(result.out)?.[1];
  if (result.code !== 0 || count === undefined) throw new Error(`counting rows failed: ${result.out}`);
  return Number(count);
}

/** Runs statements on the test platd's own state database (its server in the data dir). */
async function state(work: (sql: postgres.Sql) => Promise<void>): Promise<void> {
  const dir = join(platd.dataDir, 'postgres');
  const socket = readdirSync(dir, { withFileTypes: true }).find(
    (entry) => entry.name.startsWith('.s.PGSQL.') && !entry.name.endsWith('.lock'),
  );
  const sql = postgres({
    path: join(dir, socket!.name),
    username: 'postgres',
    database: 'postgres',
    max: 1,
    onnotice: () => {},
  });
  try {
    await work(sql);
  } finally {
    await sql.end();
  }
}

/** What every test ends with: app one's CACHE add-on still answers with the data it was given. */
async function oneStillAnswers(): Promise<void> {
  expect(await redis('one', 'CACHE_URL', ['get', 'owner'])).toBe('one');
}

beforeAll(async () => {
  platd = await startPlatd({ env: { PLAT_KEEP_BACKUPS: '2' } });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  for (const app of ['one', 'two']) {
    const created = await plat(['apps:create', app, '--no-remote', '--json']);
    expect(created.code, created.output).toBe(0);
    ids = { ...ids, [app]: JSON.parse(created.stdout).id };
  }
});
afterAll(async () => {
  await platd?.destroy();
});

describe('two apps racing for the same add-on name', () => {
  it('each get their own container and volume, and destroying one keeps the other’s data', async () => {
    const [first, second] = await Promise.all([
      plat(['addons:create', 'redis:premium', '--as', 'CACHE', '-a', 'one', '--json']),
      plat(['addons:create', 'redis:premium', '--as', 'CACHE', '-a', 'two', '--json']),
    ]);
    expect(first!.code, first!.output).toBe(0);
    expect(second!.code, second!.output).toBe(0);
    const [mine] = await addonContainers(ids.one);
    const [theirs] = await addonContainers(ids.two);
    expect(mine!.Labels['plat.addon-id']).not.toBe(theirs!.Labels['plat.addon-id']);
    expect(mine!.Labels['plat.addon']).toBe(JSON.parse(first!.stdout).name);
    expect(Object.keys(mine!.NetworkSettings.Networks)).toEqual([`plat-${platd.instance}-${ids.one}`]);
    expect(Object.keys(theirs!.NetworkSettings.Networks)).toEqual([`plat-${platd.instance}-${ids.two}`]);
    const [myVolume] = await addonVolumes(ids.one);
    const [theirVolume] = await addonVolumes(ids.two);
    expect(myVolume!.Name).not.toBe(theirVolume!.Name);
    expect(myVolume!.Name).toBe(`plat-${platd.instance}-addon-${mine!.Labels['plat.addon-id']}`);
    // Its log cannot fill the disk: Docker rotates it.
    expect((await docker.getContainer(mine!.Id).inspect()).HostConfig.LogConfig).toEqual({
      Type: 'json-file',
      Config: { 'max-size': '10m', 'max-file': '3' },
    });

    expect(await redis('one', 'CACHE_URL', ['set', 'owner', 'one'])).toBe('OK');
    expect(await redis('two', 'CACHE_URL', ['set', 'owner', 'two'])).toBe('OK');
    const doomed = JSON.parse(second!.stdout).name;
    expect((await plat(['addons:destroy', doomed, '--confirm', doomed, '-a', 'two'])).code).toBe(0);
    expect(await addonContainers(ids.two)).toEqual([]);
    expect(await addonVolumes(ids.two)).toEqual([]);
    expect((await addonContainers(ids.one)).map((c) => c.Id)).toEqual([mine!.Id]);
    expect((await addonVolumes(ids.one)).map((v) => v.Name)).toEqual([myVolume!.Name]);
    await oneStillAnswers();
  });

  it('gives one of two racing requests of an app the name, the other a clear refusal; keeps no container', async () => {
    const before = (await addonContainers(ids.one)).length;
    const results = await Promise.all([
      plat(['addons:create', 'redis', '--as', 'QUEUE', '-a', 'one']),
      plat(['addons:create', 'redis', '--as', 'QUEUE', '-a', 'one']),
    ]);
    expect(results.map((r) => r.code).sort()).toEqual([0, 1]);
    expect(results.find((r) => r.code === 1)!.stderr).toContain(
      'QUEUE_URL is already set on one: attach with --as ANOTHER_NAME',
    );
    const addons = await json<Addon[]>(['addons', '-a', 'one']);
    expect(addons.map((a) => a.config_var).sort()).toEqual(['CACHE_URL', 'QUEUE_URL']);
    expect(await addonContainers(ids.one)).toHaveLength(before + 1);
    await oneStillAnswers();
  });
});

describe('renaming an app with a Redis add-on', () => {
  it('keeps REDIS_URL reachable from a one-off dyno of the new name', async () => {
    const repo = await exampleRepo(platd, 'flask-hello');
    expect((await platd.plat(['apps:create', 'three'], { cwd: repo })).code).toBe(0);
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);
    expect((await plat(['addons:create', 'redis', '-a', 'three'])).code).toBe(0);
    const renamed = await plat(['apps:rename', 'four', '-a', 'three']);
    expect(renamed.code, renamed.output).toBe(0);
    ids = { ...ids, four: (await json<{ id: string }>(['apps:info', '-a', 'four'])).id };
    expect(ids.four).toBeTruthy();
    const script =
      "import os, redis; r = redis.from_url(os.environ['REDIS_URL']); " +
      "r.set('k', 'renamed'); print(r.get('k').decode())";
    const result = await plat(['run', '-a', 'four', '--', 'python3', '-c', script]);
    expect(result.stdout, result.output).toBe('renamed\n');
    expect(result.code).toBe(0);
    await oneStillAnswers();
  });
});

describe('restoring a corrupt dump', () => {
  it('fails, and the database keeps its rows', async () => {
    expect((await plat(['addons:create', 'postgres', '-a', 'two'])).code).toBe(0);
    // Rows that do not compress away, so the dump's data runs well past its table of contents.
    const filled = await psql(
      'two',
      'create table items (id serial primary key, body text); ' +
        'insert into items (body) select md5(g::text) || md5((g * 7)::text) from generate_series(1, 20000) g;\n',
    );
    expect(filled.code, filled.out).toBe(0);
    expect((await plat(['pg:backups:capture', '-a', 'two'])).code).toBe(0);
    const dir = join(platd.dataDir, 'backups', ids.two!);
    const [file] = readdirSync(dir);
    const size = statSync(join(dir, file!)).size;
    expect(size).toBeGreaterThan(100_000);
    // Cut the dump in the middle of its data: pg_restore has dropped the table by the time it notices.
    truncateSync(join(dir, file!), Math.floor(size * 0.6));
    const restored = await plat(['pg:backups:restore', 'b001', '--confirm', 'two', '-a', 'two']);
    expect(restored.code).toBe(1);
    expect(restored.stderr).toContain('failed, and its data is as it was');
    expect(await rowCount('two')).toBe(20000);
    await oneStillAnswers();
  });

  it('keeps the newest PLAT_KEEP_BACKUPS backups, and deletes them with the add-on', async () => {
    for (let i = 0; i < 2; i += 1) expect((await plat(['pg:backups:capture', '-a', 'two'])).code).toBe(0);
    const backups = await json<{ id: string }[]>(['pg:backups', '-a', 'two']);
    expect(backups.map((b) => b.id)).toEqual(['b003', 'b002']);
    const dir = join(platd.dataDir, 'backups', ids.two!);
    expect(readdirSync(dir)).toHaveLength(2);
    const [database] = (await json<Addon[]>(['addons', '-a', 'two'])).filter((a) => a.config_var === 'DATABASE_URL');
    expect((await plat(['addons:destroy', database!.name, '--confirm', database!.name, '-a', 'two'])).code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    expect(await json<unknown[]>(['pg:backups', '-a', 'two'])).toEqual([]);
    await oneStillAnswers();
  });
});

describe('an add-on made before networks and add-ons were named by id', () => {
  it('joins the app’s network at the next start, is reachable through a rename and gone after a destroy', async () => {
    // What an older platd made: a network named by the app's name, a
    // container named by the add-on's name with no id label, and its row.
    const [current] = await addonContainers(ids.four ?? '');
    const name = 'redis-legacy-1111';
    const password = 'legacypassword';
    await platd.kill();
    const oldNetwork = `plat-${platd.instance}-four`;
    await docker.createNetwork({
      Name: oldNetwork,
      Driver: 'bridge',
      Labels: { 'plat.instance': platd.instance, 'plat.app': 'four' },
    });
    const labels = {
      'plat.instance': platd.instance,
      'plat.app': 'four',
      'plat.app-id': ids.four!,
      'plat.addon': name,
    };
    const container = await docker.createContainer({
      name: `plat-${platd.instance}-addon-${name}`,
      Image: current!.Image,
      Env: [`REDIS_PASSWORD=${password}`, 'REDIS_PERSIST=no'],
      Labels: labels,
      HostConfig: { NetworkMode: oldNetwork },
      NetworkingConfig: { EndpointsConfig: { [oldNetwork]: { Aliases: [name] } } },
    });
    await container.start();
    const url = `redis://:${password}@${name}:6379`;
    await state(async (sql) => {
      await sql`insert into addons (app_id, name, provider, plan, attachment, credentials, state, legacy_names)
        values (${ids.four!}, ${name}, 'redis', 'mini', 'LEGACY', ${sql.json({ password })}, 'active', true)`;
      await sql`insert into config_vars (app_id, key, value) values (${ids.four!}, 'LEGACY_URL', ${url})`;
    });
    await platd.start();
    expect(Object.keys((await container.inspect()).NetworkSettings.Networks).sort()).toEqual(
      [`plat-${platd.instance}-${ids.four}`, oldNetwork].sort(),
    );
    // A release carrying LEGACY_URL, then the rename that removes the old network.
    expect((await plat(['config:set', 'TOUCH=1', '-a', 'four'])).code).toBe(0);
    expect((await plat(['apps:rename', 'five', '-a', 'four'])).code).toBe(0);
    expect(
      (await docker.listNetworks({ filters: { name: [oldNetwork] } })).filter((n) => n.Name === oldNetwork),
    ).toEqual([]);
    const script =
      "import os, redis; r = redis.from_url(os.environ['LEGACY_URL']); r.set('k', 'old'); print(r.get('k').decode())";
    const result = await plat(['run', '-a', 'five', '--', 'python3', '-c', script]);
    expect(result.stdout, result.output).toBe('old\n');
    expect((await plat(['addons:destroy', name, '--confirm', name, '-a', 'five'])).code).toBe(0);
    expect(await docker.listContainers({ all: true, filters: { label: [`plat.addon=${name}`] } })).toEqual([]);
    await oneStillAnswers();
  });
});

describe('a platd killed while an add-on is provisioning or being destroyed', () => {
  it('leaves nothing of either at the next start, nor labelled leftovers; keeps what is not an add-on’s', async () => {
    const addonsBefore = await json<Addon[]>(['addons', '-a', 'one']);
    const queue = addonsBefore.find((a) => a.config_var === 'QUEUE_URL')!;
    const known = new Set((await addonContainers()).map((c) => c.Id));
    const creating = plat(['addons:create', 'postgres', '--as', 'HALF', '-a', 'one']);
    const half = await until(
      'the half-made add-on container',
      async () => (await addonContainers(ids.one)).find((c) => !known.has(c.Id)),
      120_000,
    );
    await platd.kill();
    expect((await creating).code).toBe(1);
    // A destroy cut short after its first step: the row marked and the config var gone in one transaction.
    await state(async (sql) => {
      await sql`update addons set state = 'destroying' where name = ${queue.name}`;
      await sql`delete from config_vars where app_id = ${ids.one!} and key in ('QUEUE_URL', 'QUEUE_TLS_URL')`;
    });
    // A labelled volume no add-on row owns (a crash between creating it and
    // writing its row), and an unlabelled look-alike that is not Plat's to remove.
    const orphan = await docker.createVolume({
      Name: `plat-${platd.instance}-addon-orphan`,
      Labels: {
        'plat.instance': platd.instance,
        'plat.addon': 'redis-lost-1234',
        'plat.addon-id': '00000000-0000-4000-8000-000000000000',
      },
    });
    const lookalike = `plat-${platd.instance}-addon-${half.Labels['plat.addon-id']}-not-ours`;
    await docker.createVolume({ Name: lookalike });
    try {
      await platd.start();
      expect(
        await docker.listContainers({
          all: true,
          filters: { label: [`plat.addon-id=${half.Labels['plat.addon-id']}`] },
        }),
      ).toEqual([]);
      expect(
        (await docker.listVolumes({ filters: { label: [`plat.addon-id=${half.Labels['plat.addon-id']}`] } })).Volumes ??
          [],
      ).toEqual([]);
      expect(
        ((await docker.listVolumes({ filters: { name: [orphan.name] } })).Volumes ?? []).map((v) => v.Name),
      ).toEqual([]);
      expect(((await docker.listVolumes({ filters: { name: [lookalike] } })).Volumes ?? []).map((v) => v.Name)).toEqual(
        [lookalike],
      );
      expect(await docker.listContainers({ all: true, filters: { label: [`plat.addon=${queue.name}`] } })).toEqual([]);
      expect(await json<Addon[]>(['addons', '-a', 'one'])).toEqual(addonsBefore.filter((a) => a.name !== queue.name));
      expect(Object.keys(await json<Record<string, string>>(['config', '-a', 'one']))).toEqual([
        'CACHE_TLS_URL',
        'CACHE_URL',
      ]);
      await oneStillAnswers();
    } finally {
      await docker
        .getVolume(lookalike)
        .remove()
        .catch(() => undefined);
    }
  });
});
