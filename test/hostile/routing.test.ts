/**
 * Hostile tenants against the router: domains nginx cannot or must not serve
 * are refused before anything is stored, and a bad domain row put straight
 * into the state database costs only that name: other apps keep routing,
 * change their routes, and platd restarts. Real platd, CLI, nginx, Postgres.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from '../support/app-repo.js';
import { get } from '../support/http.js';
import { startPlatd, type Platd } from '../support/platd.js';
import { until } from '../support/until.js';

const SERVER = process.env.PLAT_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = `plat_routing_${randomBytes(4).toString('hex')}`;
const admin = postgres(SERVER, { max: 1, onnotice: () => {} });
let state: postgres.Sql;
let platd: Platd;
let repo: string;

const plat = (args: string[]) => platd.plat(args, { cwd: repo });
const routerConfig = () => readFileSync(join(platd.dataDir, 'router', 'nginx.conf'), 'utf8');
const domainsOf = async (app: string): Promise<string[]> => {
  const result = await plat(['domains', '-a', app, '--json']);
  expect(result.code, result.output).toBe(0);
  return JSON.parse(result.stdout).map((domain: { hostname: string }) => domain.hostname);
};

/** The deployed app answers through the router, as a visitor sees it. */
async function steadyAnswers(): Promise<void> {
  const response = await get(platd.routerPort, 'steady.localhost');
  expect(response.status, response.body).toBe(200);
  expect(response.body).toContain('<html');
}

beforeAll(async () => {
  await admin.unsafe(`create database ${database}`);
  const url = new URL(SERVER);
  url.pathname = `/${database}`;
  // The state database is one the test can reach too, to put a bad row in by hand.
  state = postgres(url.toString(), { max: 1, onnotice: () => {} });
  platd = await startPlatd({ env: { DATABASE_URL: url.toString() } });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'static-site');
  expect((await plat(['apps:create', 'steady'])).code).toBe(0);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
  expect((await plat(['apps:create', 'hostile', '--no-remote'])).code).toBe(0);
  await steadyAnswers();
}, 300_000);
afterAll(async () => {
  await platd?.destroy();
  await state?.end({ timeout: 5 });
  await admin.unsafe(`drop database if exists ${database} with (force)`);
  await admin.end({ timeout: 5 });
});

describe('plat domains:add refuses what the router must not serve', () => {
  const long = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(60), 'com'].join('.');
  it.each([
    ['a label over 63 characters', `${'x'.repeat(64)}.example.com`, /is 64 characters long; DNS allows at most 63/],
    [
      'a name over 253 characters',
      long,
      /256 characters long; a hostname has at most 253|must NOT have more than 253 characters/,
    ],
    ['a .localhost name', 'www.example.localhost', /\.localhost names are reserved/],
    ["the router's own probe name", 'plat-router.invalid', /\.invalid names are reserved/],
    ['a wildcard of a public suffix', '*.com', /com is a public suffix/],
    ['a wildcard of a two-label public suffix', '*.co.uk', /co\.uk is a public suffix/],
    ['a wildcard in the middle', 'www.*.example.com', /a wildcard may only be the whole first label/],
    ['an IP address', '127.0.0.1', /an IP address cannot be a domain/],
  ])('refuses %s, stores nothing, and the other app still answers', async (_, hostname, why) => {
    const before = routerConfig();
    const result = await plat(['domains:add', hostname, '-a', 'hostile']);
    expect(result.code, result.output).not.toBe(0);
    expect(result.stderr).toMatch(why);
    expect(await domainsOf('hostile')).toEqual([]);
    expect(routerConfig()).toBe(before);
    await steadyAnswers();
  });

  it('still adds a good domain, which the router then serves', async () => {
    const result = await plat(['domains:add', 'www.hostile.example', '-a', 'hostile']);
    expect(result.code, result.output).toBe(0);
    expect(await domainsOf('hostile')).toEqual(['www.hostile.example']);
    // No dynos yet: the router knows the name and answers H14 for it.
    const response = await get(platd.routerPort, 'www.hostile.example');
    expect([response.status, response.headers['x-plat-error']]).toEqual([503, 'H14']);
    await steadyAnswers();
  });
});

describe('a domain row nginx refuses, put straight into the state database', () => {
  const broken = 'x.*.broken.example';
  const evil = 'evil.example; return 200';

  beforeAll(async () => {
    const [app] = await state`select id from apps where name = 'hostile'`;
    await state`insert into domains (app_id, hostname) values (${app!.id}, ${broken}), (${app!.id}, ${evil})`;
  });

  it("costs the tenant only those names: its next change routes the rest; its log and platd's say why", async () => {
    // The tenant's own next change reads its rows again, the bad ones with them.
    const added = await plat(['domains:add', 'api.hostile.example', '-a', 'hostile']);
    expect(added.code, added.output).toBe(0);
    expect(routerConfig()).toContain('server_name hostile.localhost api.hostile.example www.hostile.example;');
    expect(routerConfig()).not.toContain('broken.example');
    expect(routerConfig()).not.toContain('evil.example');
    expect((await get(platd.routerPort, 'api.hostile.example')).headers['x-plat-error']).toBe('H14');
    const logs = await until(
      'the refusal in the hostile app log',
      async () => {
        const result = await plat(['logs', '-a', 'hostile', '--source', 'plat', '-n', '200']);
        return result.stdout.includes(`not routing ${broken}`) ? result.stdout : undefined;
      },
      10_000,
    );
    expect(logs).toMatch(
      new RegExp(
        /plat\[router\]: not routing x\.\*\.broken\.example: nginx refuses it /.source +
          /\(invalid server name or wildcard "x\.\*\.broken\.example"/.source,
      ),
    );
    expect(logs).toContain('not routing evil.example; return 200: nginx refuses it (unsafe value in nginx config');
    expect(platd.output().split(`router: hostile: not routing ${broken}`)).toHaveLength(2);
    await steadyAnswers();
  });

  it('does not stop another app changing its routes: steady scales to two dynos and both serve', async () => {
    const scale = await plat(['scale', 'web=2', '-a', 'steady']);
    expect(scale.code, scale.output).toBe(0);
    await until(
      'two steady dynos in the router config',
      async () =>
        /upstream app_steady \{\n\s+least_conn;\n\s+server [^\n]+\n\s+server [^\n]+\n\s+keepalive/.test(routerConfig()),
      60_000,
    );
    await steadyAnswers();
    expect(routerConfig()).toContain('server_name hostile.localhost api.hostile.example www.hostile.example;');
    // Known refusals are said once, not on every change.
    expect(platd.output().split(`router: hostile: not routing ${broken}`)).toHaveLength(2);
  });

  it('does not stop a deploy of another app, which then routes', async () => {
    const fresh = await exampleRepo(platd, 'static-site');
    expect((await platd.plat(['apps:create', 'newcomer'], { cwd: fresh })).code).toBe(0);
    const push = await platd.git(['push', 'platform', 'main'], fresh);
    expect(push.code, push.output).toBe(0);
    expect(push.output).toMatch(/Released v\d+/);
    const response = await get(platd.routerPort, 'newcomer.localhost');
    expect(response.status).toBe(200);
    await steadyAnswers();
  });

  it('does not stop platd starting, and routes still change after the restart', async () => {
    await platd.stop();
    await platd.start();
    await steadyAnswers();
    await until(
      'the refusal said again after the restart',
      async () => platd.output().includes(`router: hostile: not routing ${broken}`),
      30_000,
    );
    const scale = await plat(['scale', 'web=1', '-a', 'steady']);
    expect(scale.code, scale.output).toBe(0);
    await until(
      'one steady dyno in the router config',
      async () => /upstream app_steady \{\n\s+least_conn;\n\s+server [^\n]+\n\s+keepalive/.test(routerConfig()),
      60_000,
    );
    await steadyAnswers();
  });

  it('lets the owner remove the bad row with plat domains:remove', async () => {
    const removed = await plat(['domains:remove', broken, '-a', 'hostile']);
    expect(removed.code, removed.output).toBe(0);
    expect(await domainsOf('hostile')).toEqual([
      'api.hostile.example',
      'evil.example; return 200',
      'www.hostile.example',
    ]);
    await steadyAnswers();
  });
});
