/**
 * The plat CLI as a user drives it, against a real platd: every command's
 * happy path, --json output, and the failure paths with their exit codes.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { until } from './support/until.js';
import { startPlatd, type Platd } from './support/platd.js';

let platd: Platd;
let repo: string;
const plat = (args: string[]) => platd.plat(args, { cwd: repo });
const json = async (args: string[]) => {
  const result = await plat([...args, '--json']);
  expect(result.code, result.output).toBe(0);
  return JSON.parse(result.stdout);
};

beforeAll(async () => {
  platd = await startPlatd();
  repo = await exampleRepo(platd, 'flask-hello');
});
afterAll(async () => {
  await platd?.destroy();
});

describe('before logging in', () => {
  it('says to log in, with exit code 3', async () => {
    const result = await plat(['apps']);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('Run plat login first');
  });

  it('names the API URL when platd cannot be reached', async () => {
    const result = await platd.plat(['apps'], { env: { PLAT_API_URL: 'http://127.0.0.1:1', PLAT_TOKEN: 'x' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Could not reach the Plat API at http://127.0.0.1:1');
  });

  it('logs in and stores credentials with mode 0600', async () => {
    expect((await plat(['login', '--api-url', platd.apiUrl, '--token', 'plat_wrong'])).code).toBe(3);
    const result = await plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
    expect(result.code).toBe(0);
    const path = result.stdout.match(/credentials in (\S+)\)/)![1]!;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await plat(['whoami'])).stdout.trim()).toBe('admin@plat.local');
  });
});

describe('an app from create to destroy', () => {
  it('creates the app and deploys it', async () => {
    const created = await json(['apps:create', 'cli-app']);
    expect(created).toMatchObject({ name: 'cli-app', git_url: `${platd.apiUrl}/git/cli-app.git` });
    // Heroku's: a new app has v1, with no code yet.
    expect(await json(['releases'])).toMatchObject([{ version: 1, description: 'Initial release', image: null }]);
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);
    expect(push.output).toContain('Released v2');
    expect((await json(['apps'])).map((a: { name: string }) => a.name)).toEqual(['cli-app']);
    const table = await plat(['apps']);
    expect(table.stdout).toMatch(/Name\s+Owner\s+Web URL\s+Created/);
    expect(table.stdout).toMatch(/cli-app\s+admin@plat\.local/);
    expect((await json(['apps:info'])).formation).toEqual([
      { type: 'web', quantity: 1, size: 'standard', command: expect.stringContaining('gunicorn') },
    ]);
  });

  it('finds the app from --app or the git remote, else says how', async () => {
    expect((await platd.plat(['open', '-a', 'cli-app'])).stdout.trim()).toBe(
      `http://cli-app.localhost:${platd.routerPort}/`,
    );
    const nowhere = await platd.plat(['open']);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain('pass --app NAME, or run this in a git repo with a "platform" remote');
    const unknown = await platd.plat(['open', '-a', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Couldn't find that app: nope");
  });

  it('sets, gets and unsets config vars, each a release', async () => {
    const set = await plat(['config:set', 'GREETING=hi there', 'DEBUG=0']);
    expect(set.code, set.output).toBe(0);
    expect(set.stderr).toContain('Released v3');
    expect(await json(['config'])).toEqual({ DEBUG: '0', GREETING: 'hi there' });
    expect((await plat(['config:get', 'GREETING'])).stdout).toBe('hi there\n');
    expect((await plat(['config', '--shell'])).stdout).toBe("DEBUG='0'\nGREETING='hi there'\n");
    expect((await plat(['config:unset', 'DEBUG'])).code).toBe(0);
    expect((await plat(['config:get', 'DEBUG'])).code).toBe(1);
    expect((await plat(['config:set', 'NOEQUALS'])).stderr).toContain('is not KEY=value');
  });

  it('lists releases and builds, and shows build output', async () => {
    const releases = await json(['releases']);
    expect(releases.map((r: { version: number; description: string }) => `v${r.version} ${r.description}`)).toEqual([
      'v4 Unset DEBUG',
      'v3 Set GREETING, DEBUG',
      expect.stringMatching(/^v2 Deploy [0-9a-f]{7}$/),
      'v1 Initial release',
    ]);
    expect((await plat(['releases'])).stdout).toMatch(
      /v4 \(current\)\s+Unset DEBUG\s+succeeded\s+\d+ seconds? ago|v4 \(current\)\s+Unset DEBUG\s+succeeded\s+now/,
    );
    expect((await json(['releases:info', 'v2'])).process_types.web).toContain('gunicorn');
    expect((await plat(['releases:info', 'v1'])).stdout).toMatch(/Image:?\s+\(none\)/);
    const builds = await json(['builds']);
    expect(builds).toHaveLength(1);
    expect((await plat(['builds:output'])).stdout).toContain('-----> Python app detected');
  });

  it('rolls back to the previous release', async () => {
    const result = await plat(['rollback']);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('Released v5: Rollback to v3');
    expect(await json(['config'])).toEqual({ DEBUG: '0', GREETING: 'hi there' });
    expect((await plat(['rollback', 'v99'])).code).toBe(1);
    const imageless = await plat(['rollback', 'v1']);
    expect(imageless.code).toBe(1);
    expect(imageless.stderr).toContain('Release v1 was made before cli-app had code (it has no image)');
  });

  it('scales, lists dynos and restarts them', async () => {
    const scaled = await plat(['scale', 'web=2:basic']);
    expect(scaled.code, scaled.output).toBe(0);
    expect(scaled.stderr).toContain('Scaling dynos on cli-app... done, now running web at 2:basic');
    const dynos = await json(['ps']);
    expect(dynos.map((d: { name: string; state: string }) => `${d.name} ${d.state}`)).toEqual(['web.1 up', 'web.2 up']);
    expect((await plat(['ps'])).stdout).toMatch(/=== web \(basic\): gunicorn .* \(2\)\nweb\.1: up/);
    expect((await plat(['scale'])).stdout.trim()).toBe('web=2:basic');
    expect((await plat(['ps:restart', 'web.2'])).code).toBe(0);
    expect((await plat(['ps:restart'])).code).toBe(0);
    expect((await plat(['ps:stop', 'web.1'])).code).toBe(0);
    expect((await plat(['scale', 'web=two'])).code).toBe(1);
    expect((await plat(['scale', 'worker=1'])).stderr).toContain("Couldn't find that process type (worker)");
    expect((await get(platd.routerPort, 'cli-app.localhost')).status).toBe(200);
  });

  it('manages domains, maintenance, access and tokens', async () => {
    expect((await plat(['domains:add', 'www.cli.example'])).code).toBe(0);
    expect((await json(['domains'])).map((d: { hostname: string }) => d.hostname)).toEqual(['www.cli.example']);
    expect((await get(platd.routerPort, 'www.cli.example')).status).toBe(200);
    expect((await plat(['domains:add', 'bad_host'])).stderr).toContain('Invalid hostname');
    expect((await plat(['domains:remove', 'www.cli.example'])).code).toBe(0);

    expect((await plat(['maintenance:on'])).code).toBe(0);
    expect((await plat(['maintenance'])).stdout.trim()).toBe('on');
    expect((await get(platd.routerPort, 'cli-app.localhost')).status).toBe(503);
    expect((await plat(['maintenance:off'])).code).toBe(0);
    expect((await get(platd.routerPort, 'cli-app.localhost')).status).toBe(200);

    expect((await plat(['access:add', 'dev@example.com'])).code).toBe(0);
    expect(await json(['access'])).toEqual([
      { email: 'admin@plat.local', role: 'owner' },
      { email: 'dev@example.com', role: 'collaborator' },
    ]);
    expect((await plat(['access:remove', 'dev@example.com'])).code).toBe(0);

    const token = await json(['tokens:create', '--description', 'ci']);
    expect(token.token).toMatch(/^plat_/);
    expect((await json(['tokens'])).map((t: { description: string }) => t.description)).toContain('ci');
    expect((await platd.plat(['whoami'], { env: { PLAT_TOKEN: token.token } })).code).toBe(0);
    expect((await plat(['tokens:revoke', token.id])).code).toBe(0);
    expect((await platd.plat(['whoami'], { env: { PLAT_TOKEN: token.token } })).code).toBe(3);
  });

  it('reports platform status', async () => {
    const status = await json(['status']);
    expect(status.status).toBe('ok');
    expect(Object.keys(status.checks)).toEqual(['database', 'docker', 'router', 'stack']);
  });

  it('renames the app and keeps the git remote pointing at it, and its router log', async () => {
    await get(platd.routerPort, 'cli-app.localhost', '/?before=rename');
    await until(
      'the request to reach the router log',
      async () => (await plat(['logs', '--source', 'router'])).stdout.includes('before=rename'),
      10_000,
    );
    const result = await plat(['apps:rename', 'cli-renamed']);
    expect(result.code, result.output).toBe(0);
    expect((await platd.git(['remote', 'get-url', 'platform'], repo)).stdout.trim()).toBe(
      `${platd.apiUrl}/git/cli-renamed.git`,
    );
    expect((await get(platd.routerPort, 'cli-renamed.localhost', '/?after=rename')).status).toBe(200);
    const logs = await until(
      "the renamed app's request in its router log",
      async () => {
        const text = (await plat(['logs', '--source', 'router', '-a', 'cli-renamed'])).stdout;
        return text.includes('after=rename') && text;
      },
      10_000,
    );
    expect(logs).toContain('before=rename');
  });

  it('destroys the app only with --confirm', async () => {
    const refused = await plat(['apps:destroy']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--confirm cli-renamed');
    expect((await plat(['apps:destroy', '--confirm', 'cli-renamed'])).code).toBe(0);
    expect(await json(['apps'])).toEqual([]);
  });
});

describe('debug and logout', () => {
  it('shows the API error id with --debug', async () => {
    const result = await plat(['apps:info', '-a', 'nope', '--debug']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Couldn't find that app: nope (id: not_found)");
  });

  it('forgets the credentials on logout', async () => {
    expect((await plat(['logout'])).stdout).toContain('Logged out');
    const after = await plat(['apps']);
    expect(after.code).toBe(3);
    expect(after.stderr).toContain('Run plat login first');
    expect((await plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  });
});

describe('help', () => {
  it('lists commands and shows examples', async () => {
    const help = await plat(['help']);
    for (const name of ['apps:create', 'config:set', 'scale', 'rollback', 'domains:add', 'tokens:create'])
      expect(help.stdout).toContain(name);
    const scaleHelp = await plat(['scale', '--help']);
    expect(scaleHelp.stdout).toContain('$ plat scale web=3 worker=1');
  });

  it('tells its version', async () => {
    expect((await plat(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('suggests the nearest command for a typo', async () => {
    const result = await plat(['confg:set']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Did you mean config:set?');
  });
});
