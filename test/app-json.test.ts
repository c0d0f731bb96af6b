/**
 * app.json end to end (issue 18): env (a default, a required var, a
 * generated secret), formation, an add-on and postdeploy applied on an
 * app's first push; apps:setup from a tarball in one step, refusing a
 * missing required var before the app exists; and the dyno metadata every
 * dyno sees, with Heroku's names behind a labs feature. One platd, real
 * git, Docker and nginx.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

let platd: Platd;
let repo: string;

const MANIFEST = {
  name: 'Greeter',
  description: 'flask-hello with an app.json',
  stack: 'heroku-22',
  env: {
    GREETING: { description: 'what the app says', value: 'hello from app.json' },
    API_TOKEN: { description: 'the token of an API the app calls', required: true },
    SECRET_KEY: { description: 'signs sessions', generator: 'secret' },
  },
  formation: { web: { quantity: 2, size: 'basic' } },
  addons: ['redis'],
  // A shell command line, run in the dyno: $-expansions are the dyno's, not JavaScript's.
  scripts: { postdeploy: ['echo postdeploy-ran $PLAT_RELEASE_VERSION redis=$', '{REDIS_URL:+set}'].join('') },
  healthchecks: { web: [{ type: 'startup', path: '/' }] },
};

const plat = (args: string[], cwd = repo) => platd.plat(args, { cwd });
const json = async <T>(args: string[], cwd = repo): Promise<T> => {
  const result = await plat([...args, '--json'], cwd);
  if (result.code !== 0) throw new Error(result.output);
  return JSON.parse(result.stdout) as T;
};

beforeAll(async () => {
  platd = await startPlatd();
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  writeFileSync(join(repo, 'app.json'), `${JSON.stringify(MANIFEST, null, 2)}\n`);
  await platd.git(['add', '-A'], repo);
  await platd.git(['commit', '-q', '-m', 'describe the app in app.json'], repo);
  expect((await plat(['apps:create', 'greeter'])).code).toBe(0);
});
afterAll(async () => {
  await platd?.destroy();
});

describe('app.json on the first push', () => {
  it('refuses the push while a required var has no value, and makes nothing', async () => {
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code).not.toBe(0);
    expect(push.output).toContain('app.json requires a config var with no value: API_TOKEN');
    expect(await json(['config'])).toEqual({});
    expect(await json(['addons'])).toEqual([]);
  });

  it('applies env, formation, the add-on and postdeploy once the var is set', async () => {
    expect((await plat(['config:set', 'API_TOKEN=t0k3n'])).code).toBe(0);
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);
    expect(push.output).toContain('app.json found: applying it on this first deploy');
    expect(push.output).toContain('app.json: stack is not used by Plat; ignored');
    expect(push.output).toMatch(/postdeploy-ran v\d+ redis=set/);

    const config = await json<Record<string, string>>(['config']);
    expect(config).toMatchObject({ GREETING: 'hello from app.json', API_TOKEN: 't0k3n' });
    expect(config.SECRET_KEY).toMatch(/^[0-9a-f]{64}$/);
    expect(config.REDIS_URL).toMatch(/^redis:\/\//);
    const addons = await json<{ provider: string; config_var: string }[]>(['addons']);
    expect(addons.map((addon) => [addon.provider, addon.config_var])).toEqual([['redis', 'REDIS_URL']]);
    // Heroku's history: v1, the config set before the push, app.json's config and add-on, then the deploy.
    const releases = await json<{ description: string; image: string | null }[]>(['releases']);
    expect(releases[0]!.description).toMatch(/^Deploy [0-9a-f]{7}$/);
    expect(releases[0]!.image).not.toBeNull();
    expect(releases.slice(1).every((release) => release.image === null)).toBe(true);
    expect(releases.slice(-2).map((release) => release.description)).toEqual(['Set API_TOKEN', 'Initial release']);
    expect(releases.some((release) => release.description.startsWith('Attach '))).toBe(true);

    const ps = await json<{ name: string; state: string }[]>(['ps']);
    expect(
      ps
        .filter((dyno) => dyno.state === 'up')
        .map((dyno) => dyno.name)
        .sort(),
    ).toEqual(['web.1', 'web.2']);
    const formation = await json<{ type: string; quantity: number; size: string }[]>(['scale']);
    expect(formation).toContainEqual(expect.objectContaining({ type: 'web', quantity: 2, size: 'basic' }));
    expect((await get(platd.routerPort, 'greeter.localhost')).status).toBe(200);

    const logs = await until('the postdeploy line in plat logs', async () => {
      const out = (await plat(['logs', '-n', '300'])).stdout;
      return /app\[postdeploy\.\d+\]: postdeploy-ran v\d+ redis=set/.test(out) ? out : undefined;
    });
    expect(logs).toMatch(/postdeploy-ran/);
  });

  it('runs postdeploy only once, and leaves app.json alone on later pushes', async () => {
    await platd.git(['commit', '-q', '--allow-empty', '-m', 'second push'], repo);
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);
    expect(push.output).not.toContain('postdeploy-ran');
    expect(push.output).not.toContain('app.json found');
  });
});

describe('dyno metadata', () => {
  it('tells every dyno its release, commit, app and id; Heroku names only with the labs feature', async () => {
    const app = await json<{ id: string }>(['apps:info']);
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
    const [release] = await json<{ version: number }[]>(['releases']);
    const env = (await plat(['run', 'env'])).stdout;
    expect(env).toContain(`PLAT_RELEASE_VERSION=v${release!.version}\n`);
    expect(env).toContain(`PLAT_SLUG_COMMIT=${commit}\n`);
    expect(env).toContain('PLAT_APP_NAME=greeter\n');
    expect(env).toContain(`PLAT_APP_ID=${app.id}\n`);
    expect(env).toMatch(/^PLAT_DYNO_ID=[0-9a-f-]{36}$/m);
    expect(env).not.toContain('HEROKU_');

    expect((await plat(['labs:enable', 'heroku-metadata'])).code).toBe(0);
    const heroku = (await plat(['run', 'env'])).stdout;
    expect(heroku).toContain('HEROKU_APP_NAME=greeter\n');
    expect(heroku).toContain(`HEROKU_SLUG_COMMIT=${commit}\n`);
    expect(heroku).toContain(`HEROKU_RELEASE_VERSION=v${release!.version}\n`);
    const labs = await json<{ name: string; enabled: boolean }[]>(['labs']);
    expect(labs).toContainEqual(expect.objectContaining({ name: 'heroku-metadata', enabled: true }));
  });
});

describe('plat apps:setup', () => {
  it('refuses a missing required var before the app exists, then sets an app up from a tarball', async () => {
    const tarball = join(repo, '..', 'greeter.tar.gz');
    execFileSync('git', ['archive', '--format=tar.gz', '--prefix=greeter-main/', '-o', tarball, 'HEAD'], { cwd: repo });

    const refused = await plat(['apps:setup', tarball, '--name', 'setup-app']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('app.json requires a config var with no value: API_TOKEN');
    expect((await json<{ name: string }[]>(['apps'])).map((app) => app.name)).not.toContain('setup-app');

    const setup = await plat(['apps:setup', tarball, '--name', 'setup-app', '--env', 'API_TOKEN=given']);
    expect(setup.code, setup.output).toBe(0);
    expect(setup.output).toContain('Created setup-app from app.json');
    expect(setup.output).toMatch(/postdeploy-ran v\d+ redis=set/);
    const config = await json<Record<string, string>>(['config', '-a', 'setup-app']);
    expect(config).toMatchObject({ API_TOKEN: 'given', GREETING: 'hello from app.json' });
    expect(config.REDIS_URL).toMatch(/^redis:\/\//);
    const page = await get(platd.routerPort, 'setup-app.localhost');
    expect(page.status, page.body).toBe(200);
  });
});
