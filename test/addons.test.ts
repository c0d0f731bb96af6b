/**
 * Add-ons from the user's side: examples/django-site with a postgres add-on
 * (migrated by its release phase, data kept across a restart of the
 * database), redis reached from a one-off dyno, and destroy with confirmation.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get, post } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';

let platd: Platd;
let repo: string;
let database: string;
const plat = (args: string[]) => platd.plat(args, { cwd: repo });
const docker = new Docker();
/** An add-on's container, by its labels. */
async function addonContainer(name: string): Promise<Docker.Container> {
  const [info] = await docker.listContainers({
    all: true,
    filters: { label: [`plat.instance=${platd.instance}`, `plat.addon=${name}`] },
  });
  if (!info) throw new Error(`no container of ${name}`);
  return docker.getContainer(info.Id);
}

beforeAll(async () => {
  // The scheduler test runs a job every 2 s, to see runs overlap in seconds rather than minutes.
  platd = await startPlatd({ env: { PLAT_SCHEDULER_MIN_INTERVAL_SECONDS: '1' } });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'django-site');
  expect((await plat(['apps:create', 'site'])).code).toBe(0);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
});
afterAll(async () => {
  await platd?.destroy();
});

describe('postgres', () => {
  it('provisions a database and attaches it as DATABASE_URL, with a release that migrates it', async () => {
    const created = await plat(['addons:create', 'postgres', '--json']);
    expect(created.code, created.output).toBe(0);
    const addon = JSON.parse(created.stdout);
    database = addon.name;
    expect(addon).toMatchObject({
      provider: 'postgres',
      plan: 'hobby',
      config_var: 'DATABASE_URL',
      state: 'available',
    });
    expect((await plat(['config:get', 'DATABASE_URL'])).stdout).toMatch(
      new RegExp(`^postgres://\\w+:\\w+@${database}:5432/\\w+\\n$`),
    );
    const releases = JSON.parse((await plat(['releases', '--json'])).stdout);
    expect(releases[0]).toMatchObject({ description: `Attach ${database} (DATABASE_URL)`, status: 'succeeded' });
    const migrate = (await plat(['logs', '-n', '200', '--source', 'app'])).stdout;
    expect(migrate).toMatch(/app\[release\.\d+\]: +Applying hello\.0001_initial\.\.\. OK/);
  });

  it('is on the app network only, not published on the host', async () => {
    const [container] = await new Docker().listContainers({ filters: { label: [`plat.addon=${database}`] } });
    expect(container!.Ports.filter((p) => p.PublicPort)).toEqual([]);
    // The app's network is named by the app's id, which a rename keeps.
    expect(Object.keys(container!.NetworkSettings.Networks)).toEqual([
      `plat-${platd.instance}-${container!.Labels['plat.app-id']}`,
    ]);
    expect(container!.Names).toEqual([`/plat-${platd.instance}-addon-${container!.Labels['plat.addon-id']}`]);
  });

  it('stores rows through the web dyno and keeps them when the database restarts', async () => {
    expect((await post(platd.routerPort, 'site.localhost', '/visits')).body).toBe('visits: 1\n');
    expect((await post(platd.routerPort, 'site.localhost', '/visits')).body).toBe('visits: 2\n');
    await (await addonContainer(database)).restart({ t: 10 });
    const deadline = Date.now() + 60_000;
    let body = '';
    while (Date.now() < deadline && body !== 'visits: 2\n') {
      body = (await get(platd.routerPort, 'site.localhost', '/visits').catch(() => ({ body: '' }))).body;
      if (body !== 'visits: 2\n') await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(body).toBe('visits: 2\n');
  });

  it('attaches a second database under another name', async () => {
    const second = await plat(['addons:create', 'postgres', '--as', 'ANALYTICS_DATABASE', '--json']);
    expect(second.code, second.output).toBe(0);
    expect(JSON.parse(second.stdout).config_var).toBe('ANALYTICS_DATABASE_URL');
    expect((await plat(['config:get', 'ANALYTICS_DATABASE_URL'])).code).toBe(0);
    const again = await plat(['addons:create', 'postgres']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('DATABASE_URL is already set on site: attach with --as ANOTHER_NAME');
  });
});

describe('postgres backups', () => {
  it('shows the database with pg:info', async () => {
    const info = JSON.parse((await plat(['pg:info', '--json'])).stdout);
    expect(info).toMatchObject({
      name: database,
      plan: 'postgres:hobby',
      config_var: 'DATABASE_URL',
      state: 'available',
    });
    expect(Number(info.tables)).toBeGreaterThanOrEqual(2);
    expect(info.version).toMatch(/^PostgreSQL 15/);
  });

  it('opens psql on the database', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(import.meta.dirname, '../apps/cli/bin/plat.js'), 'pg:psql'], {
      cwd: repo,
      env: platd.userEnv,
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stdin.end('select count(*) as visits from hello_visit;\n');
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(out).toMatch(/visits\s*\n-+\n\s*2\n/);
  });

  it('captures a backup and restores it into a fresh add-on', async () => {
    const captured = await plat(['pg:backups:capture', '--json']);
    expect(captured.code, captured.output).toBe(0);
    expect(JSON.parse(captured.stdout)).toMatchObject({ id: 'b001', addon: database });
    expect(JSON.parse((await plat(['pg:backups', '--json'])).stdout).map((b: { id: string }) => b.id)).toEqual([
      'b001',
    ]);
    // The dump comes down as pg_restore reads it (custom format starts with PGDMP), readable by its owner only.
    const downloaded = await plat(['pg:backups:download', '-o', 'site.dump']);
    expect(downloaded.code, downloaded.output).toBe(0);
    const dump = join(repo, 'site.dump');
    expect(readFileSync(dump).subarray(0, 5).toString()).toBe('PGDMP');
    expect(statSync(dump).mode & 0o777).toBe(0o600);
    expect((await plat(['pg:backups:download', 'b001', '-o', 'site.dump'])).stderr).toContain('exists');
    expect((await plat(['pg:backups:download', 'b042'])).stderr).toContain("Couldn't find backup b042");
    const fresh = JSON.parse((await plat(['addons', '--json'])).stdout).find(
      (a: { config_var: string }) => a.config_var === 'ANALYTICS_DATABASE_URL',
    ).name;
    expect((await plat(['pg:backups:restore', 'b001', fresh])).stderr).toContain('confirm with the app');
    const restored = await plat(['pg:backups:restore', 'b001', fresh, '--confirm', 'site']);
    expect(restored.code, restored.output).toBe(0);
    const count = await plat([
      'run',
      'python',
      '-c',
      "import os, psycopg2; c = psycopg2.connect(os.environ['ANALYTICS_DATABASE_URL']).cursor(); " +
        "c.execute('select count(*) from hello_visit'); print(c.fetchone()[0])",
    ]);
    expect(count.stdout).toBe('2\n');
    expect((await plat(['pg:backups:restore', 'b009', fresh, '--confirm', 'site'])).stderr).toContain(
      "Couldn't find backup b009",
    );
  });

  it('schedules daily backups', async () => {
    const scheduled = await plat(['pg:backups:schedule', '--at', '3']);
    expect(scheduled.stdout).toContain(`Daily backups of ${database} at 03:00 UTC`);
    expect((await plat(['pg:backups:schedule', '--at', '25'])).code).toBe(1);
  });
});

describe('redis', () => {
  it('provisions redis and the app reaches it with REDIS_URL', async () => {
    const created = await plat(['addons:create', 'redis', '--json']);
    expect(created.code, created.output).toBe(0);
    const result = await plat([
      'run',
      'python',
      '-c',
      "import os, redis; r = redis.from_url(os.environ['REDIS_URL']); r.set('k', 'v'); print(r.get('k').decode())",
    ]);
    expect(result.stdout).toBe('v\n');
    expect(result.code).toBe(0);
  });
});

describe('redis persistence', () => {
  it('keeps data across a restart only on the premium plan', async () => {
    const created = await plat(['addons:create', 'redis:premium', '--as', 'CACHE', '--json']);
    expect(created.code, created.output).toBe(0);
    const premium = JSON.parse(created.stdout).name;
    const set = await plat([
      'run',
      'python',
      '-c',
      "import os, redis; redis.from_url(os.environ['CACHE_URL']).set('kept', 'yes')",
    ]);
    expect(set.code, set.output).toBe(0);
    await (await addonContainer(premium)).restart({ t: 10 });
    const deadline = Date.now() + 30_000;
    let value = '';
    while (Date.now() < deadline && value !== 'yes\n') {
      value = (
        await plat([
          'run',
          'python',
          '-c',
          "import os, redis; print((redis.from_url(os.environ['CACHE_URL']).get('kept') or b'').decode())",
        ])
      ).stdout;
    }
    expect(value).toBe('yes\n');
    expect((await plat(['addons:destroy', premium, '--confirm', premium])).code).toBe(0);
  });
});

describe('listing and destroying', () => {
  it('lists add-ons and refuses unknown providers and plans', async () => {
    const addons = JSON.parse((await plat(['addons', '--json'])).stdout);
    expect(addons.map((a: { provider: string; config_var: string }) => `${a.provider} ${a.config_var}`)).toEqual([
      'postgres DATABASE_URL',
      'postgres ANALYTICS_DATABASE_URL',
      'redis REDIS_URL',
    ]);
    expect((await plat(['addons:create', 'mongodb'])).stderr).toContain('Unknown add-on "mongodb"');
    expect((await plat(['addons:create', 'postgres:huge'])).stderr).toContain('Unknown plan "huge" for postgres');
  });

  it('destroys an add-on only with confirmation, with its container, volume and config var', async () => {
    const addons = JSON.parse((await plat(['addons', '--json'])).stdout);
    const analytics = addons.find((a: { config_var: string }) => a.config_var === 'ANALYTICS_DATABASE_URL').name;
    expect((await plat(['addons:destroy', analytics])).code).toBe(1);
    expect((await plat(['addons:destroy', analytics, '--confirm', analytics])).code).toBe(0);
    expect((await plat(['config:get', 'ANALYTICS_DATABASE_URL'])).code).toBe(1);
    const docker = new Docker();
    expect(await docker.listContainers({ all: true, filters: { label: [`plat.addon=${analytics}`] } })).toEqual([]);
    expect((await docker.listVolumes({ filters: { label: [`plat.addon=${analytics}`] } })).Volumes ?? []).toEqual([]);
  });

  it('destroys the remaining add-ons with the app', async () => {
    expect((await plat(['apps:destroy', '--confirm', 'site'])).code).toBe(0);
    const docker = new Docker();
    expect(
      await docker.listContainers({ all: true, filters: { label: [`plat.instance=${platd.instance}`, 'plat.addon'] } }),
    ).toEqual([]);
    expect(
      (await docker.listVolumes({ filters: { label: [`plat.instance=${platd.instance}`] } })).Volumes ?? [],
    ).toEqual([]);
  });
});

describe('workers', () => {
  it('runs a job that the web dyno enqueued in the Redis add-on', async () => {
    const worker = await exampleRepo(platd, 'worker-queue');
    expect((await platd.plat(['apps:create', 'queue'], { cwd: worker })).code).toBe(0);
    expect((await platd.plat(['addons:create', 'redis'], { cwd: worker })).code).toBe(0);
    const push = await platd.git(['push', 'platform', 'main'], worker);
    expect(push.code, push.output).toBe(0);
    const scaled = await platd.plat(['scale', 'worker=1'], { cwd: worker });
    expect(scaled.code, scaled.output).toBe(0);
    const enqueued = await post(platd.routerPort, 'queue.localhost', '/jobs?n=7');
    expect(enqueued.status).toBe(202);
    const { id } = JSON.parse(enqueued.body);
    const deadline = Date.now() + 60_000;
    let job = { status: 'queued', result: null as number | null };
    while (Date.now() < deadline && job.status !== 'finished') {
      job = JSON.parse((await get(platd.routerPort, 'queue.localhost', `/jobs/${id}`)).body);
      if (job.status !== 'finished') await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(job).toEqual({ status: 'finished', result: 49 });
    // Workers get no router traffic: only web dynos are routed.
    const dynos = JSON.parse((await platd.plat(['ps', '--json'], { cwd: worker })).stdout);
    expect(dynos.map((d: { name: string; state: string }) => `${d.name} ${d.state}`)).toEqual([
      'web.1 up',
      'worker.1 up',
    ]);
    const logs = (await platd.plat(['logs', '--dyno', 'worker', '-n', '200'], { cwd: worker })).stdout;
    expect(logs).toMatch(/app\[worker\.1\]: .*tasks\.square\(7\)/);
  });
});

describe('scheduler', () => {
  it('runs jobs on their schedule in one-off dynos, never two runs of one job at once', async () => {
    const queue = (args: string[]) => platd.plat([...args, '-a', 'queue']);
    const early = await queue(['scheduler:add', '*/2 * * * * *', 'echo tick']);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('queue has no scheduler: plat addons:create scheduler -a queue');
    expect((await queue(['addons:create', 'scheduler'])).code).toBe(0);
    expect((await queue(['scheduler:add', 'every minute', 'echo tick'])).stderr).toContain('Invalid schedule');
    const added = await queue(['scheduler:add', '*/2 * * * * *', 'echo tick from $DYNO; sleep 5', '--json']);
    expect(added.code, added.output).toBe(0);
    const job = JSON.parse(added.stdout);
    const deadline = Date.now() + 60_000;
    let logs = '';
    while (
      Date.now() < deadline &&
      !(
        /app\[scheduler\.\d+\]: tick from scheduler\.\d+/.test(logs) &&
        logs.includes('Skipped `echo tick from $DYNO; sleep 5`: its previous run is still going')
      )
    ) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      logs = (await queue(['logs', '-n', '500'])).stdout;
    }
    expect(logs).toMatch(/app\[scheduler\.\d+\]: tick from scheduler\.\d+/);
    expect(logs).toContain('plat[scheduler]: Skipped `echo tick from $DYNO; sleep 5`: its previous run is still going');
    const jobs = JSON.parse((await queue(['scheduler', '--json'])).stdout);
    expect(jobs.map((j: { id: string; schedule: string }) => `${j.id} ${j.schedule}`)).toEqual([
      `${job.id} */2 * * * * *`,
    ]);
    expect((await queue(['scheduler:remove', job.id])).code).toBe(0);
    expect(JSON.parse((await queue(['scheduler', '--json'])).stdout)).toEqual([]);
  });
});

describe('a provisioning that fails', () => {
  it('keeps nothing and says why', async () => {
    const impatient = await startPlatd({ env: { PLAT_ADDON_BOOT_TIMEOUT_SECONDS: '1' } });
    try {
      expect(
        (await impatient.plat(['login', '--api-url', impatient.apiUrl, '--token', impatient.adminToken])).code,
      ).toBe(0);
      expect((await impatient.plat(['apps:create', 'fragile', '--no-remote'])).code).toBe(0);
      const created = await impatient.plat(['addons:create', 'postgres', '-a', 'fragile']);
      expect(created.code).toBe(1);
      expect(created.stderr).toMatch(
        /Provisioning postgres failed, and nothing was kept: postgres-\w+-\d+ was not ready within 1 s/,
      );
      expect(JSON.parse((await impatient.plat(['addons', '-a', 'fragile', '--json'])).stdout)).toEqual([]);
      expect(JSON.parse((await impatient.plat(['config', '-a', 'fragile', '--json'])).stdout)).toEqual({});
      const docker = new Docker();
      expect(
        await docker.listContainers({
          all: true,
          filters: { label: [`plat.instance=${impatient.instance}`, 'plat.addon'] },
        }),
      ).toEqual([]);
      expect(
        (await docker.listVolumes({ filters: { label: [`plat.instance=${impatient.instance}`] } })).Volumes ?? [],
      ).toEqual([]);
    } finally {
      await impatient.destroy();
    }
  });
});
