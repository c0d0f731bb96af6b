/**
 * Pipelines end to end: a staging app pushed once, promoted to a production
 * app with its own config (the same image, by Docker's id, and production's
 * own release phase), pipelines:diff, the image kept for production when
 * staging is destroyed, and a review app made from a branch with an add-on
 * from its app.json, then destroyed with that add-on. Real git, Docker, nginx.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { instanceContainers } from './support/docker-cleanup.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { until } from './support/until.js';

let platd: Platd;
let repo: string;
const docker = new Docker();

async function plat(args: string[]): Promise<string> {
  const result = await platd.plat(args, { cwd: repo });
  expect(result.code, `plat ${args.join(' ')}: ${result.output}`).toBe(0);
  return result.stdout;
}

async function webDynos(app: string): Promise<Docker.ContainerInfo[]> {
  return (await instanceContainers(platd.instance)).filter(
    (c) => c.State === 'running' && c.Labels['plat.app'] === app && c.Labels['plat.process'] === 'web',
  );
}

/** The image id (sha256:…) each running web dyno of the app was made from, as Docker has it. */
async function webImageIds(app: string): Promise<string[]> {
  return Promise.all((await webDynos(app)).map(async (c) => (await docker.getContainer(c.Id).inspect()).Image));
}

beforeAll(async () => {
  platd = await startPlatd();
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  // The app says which stage it runs in, from its own config; the release phase says so too.
  writeFileSync(
    join(repo, 'app.py'),
    readFileSync(join(repo, 'app.py'), 'utf8').replace(
      /return f".*"/,
      `return f"stage {os.environ.get('STAGE_NAME', '?')}\\n"`,
    ),
  );
  writeFileSync(
    join(repo, 'Procfile'),
    'web: gunicorn --bind 0.0.0.0:$PORT app:app\nrelease: sh -c \'echo "release phase in $STAGE_NAME"\'\n',
  );
  await platd.git(['add', '-A'], repo);
  await platd.git(['commit', '-q', '-m', 'stage-aware, with a release phase'], repo);
  await plat(['apps:create', 'shop-staging']);
  await plat(['apps:create', 'shop-prod', '--no-remote']);
  await plat(['config:set', 'STAGE_NAME=staging', '-a', 'shop-staging']);
  await plat(['config:set', 'STAGE_NAME=production', '-a', 'shop-prod']);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
  expect(push.output).toContain('release phase in staging');
}, 600_000);
afterAll(async () => {
  await platd?.destroy();
});

describe('pipelines and promotion', () => {
  it('makes a pipeline of two stages and shows it', async () => {
    await plat(['pipelines:create', 'shop', '-a', 'shop-staging', '--stage', 'staging']);
    await plat(['pipelines:add', 'shop', '-a', 'shop-prod', '--stage', 'production']);
    const info = JSON.parse(await plat(['pipelines:info', 'shop', '--json']));
    expect(info.apps.map((a: { app: string; stage: string }) => `${a.app}:${a.stage}`)).toEqual([
      'shop-staging:staging',
      'shop-prod:production',
    ]);
    // An app is in one pipeline at most.
    const again = await platd.plat(['pipelines:create', 'other', '-a', 'shop-prod'], { cwd: repo });
    expect(again.code).toBe(1);
    expect(again.output).toContain('shop-prod is already in the pipeline shop (production)');
    const diff = JSON.parse(await plat(['pipelines:diff', '-a', 'shop-staging', '--json']));
    expect(diff.targets).toMatchObject([{ app: 'shop-prod', comparable: false }]);
  });

  it('promotes the very same image, with production config and its own release phase', async () => {
    const [source] = JSON.parse(await plat(['releases', '-a', 'shop-staging', '--json']));
    const out = await plat(['pipelines:promote', '-a', 'shop-staging']);
    expect(out).toContain('shop-prod: released v');
    const staging = await webImageIds('shop-staging');
    const production = await webImageIds('shop-prod');
    expect(staging).toHaveLength(1);
    expect(production).toEqual(staging);

    const releases = JSON.parse(await plat(['releases', '-a', 'shop-prod', '--json']));
    expect(releases[0]).toMatchObject({
      description: `Promote shop-staging v${source.version}`,
      current: true,
      status: 'succeeded',
    });
    await until("the release phase line in shop-prod's log", async () =>
      (await plat(['logs', '-a', 'shop-prod', '-n', '200'])).includes('release phase in production'),
    );
    expect((await get(platd.routerPort, 'shop-prod.localhost')).body).toBe('stage production\n');
    expect((await get(platd.routerPort, 'shop-staging.localhost')).body).toBe('stage staging\n');

    const diff = JSON.parse(await plat(['pipelines:diff', '-a', 'shop-staging', '--json']));
    expect(diff.targets).toMatchObject([{ app: 'shop-prod', comparable: true, ahead: [], behind: [] }]);
  });

  it('refuses to promote production any further', async () => {
    const result = await platd.plat(['pipelines:promote', '-a', 'shop-prod'], { cwd: repo });
    expect(result.code).toBe(1);
    expect(result.output).toContain('production is the last stage');
  });
});

describe('review apps', () => {
  it('builds a branch with its app.json add-on, and destroys both', async () => {
    await platd.git(['checkout', '-q', '-b', 'feature-x'], repo);
    writeFileSync(
      join(repo, 'app.json'),
      JSON.stringify({ addons: ['redis'], scripts: { 'pr-predestroy': 'echo predestroy' } }),
    );
    await platd.git(['add', '-A'], repo);
    await platd.git(['commit', '-q', '-m', 'feature x'], repo);
    // Stored in the staging app's repository, not built.
    const push = await platd.git(['push', 'platform', 'feature-x'], repo);
    expect(push.code, push.output).toBe(0);

    const create = await platd.plat(
      ['review-apps:create', 'feature-x', '--pipeline', 'shop', '--ttl', '1h', '--json'],
      { cwd: repo },
    );
    if (create.code !== 0) {
      const build = await platd.plat(['builds:output', '-a', 'shop-pr-feature-x'], { cwd: repo });
      expect.fail(`${create.output}\n${build.output}\n${platd.output().slice(-3000)}`);
    }
    const created = JSON.parse(create.stdout);
    expect(created).toMatchObject({ app: 'shop-pr-feature-x', branch: 'feature-x', source_app: 'shop-staging' });
    const addons = JSON.parse(await plat(['addons', '-a', 'shop-pr-feature-x', '--json']));
    expect(addons).toMatchObject([{ provider: 'redis', state: 'available' }]);
    const addonContainers = () =>
      docker.listContainers({ all: true, filters: { label: [`plat.addon=${addons[0].name}`] } });
    expect(await addonContainers()).toHaveLength(1);
    expect((await get(platd.routerPort, 'shop-pr-feature-x.localhost')).status).toBe(200);
    const listed = JSON.parse(await plat(['review-apps', '--pipeline', 'shop', '--json']));
    expect(listed.map((r: { app: string }) => r.app)).toEqual(['shop-pr-feature-x']);

    await plat(['review-apps:destroy', 'shop-pr-feature-x', '--pipeline', 'shop']);
    expect((await platd.plat(['apps:info', '-a', 'shop-pr-feature-x'], { cwd: repo })).code).toBe(1);
    expect(await addonContainers()).toEqual([]);
    expect(JSON.parse(await plat(['review-apps', '--pipeline', 'shop', '--json']))).toEqual([]);
  });
});

describe('images shared by promotion', () => {
  it("keeps production's image when staging is destroyed", async () => {
    const [image] = await webImageIds('shop-prod');
    const [before] = await webDynos('shop-prod');
    await plat(['apps:destroy', '-a', 'shop-staging', '--confirm', 'shop-staging']);
    // A fresh production dyno needs the image again.
    await plat(['ps:restart', '-a', 'shop-prod']);
    await until('a new production dyno alone', async () => {
      const dynos = await webDynos('shop-prod');
      return dynos.length === 1 && dynos[0]!.Id !== before!.Id;
    });
    expect(await webImageIds('shop-prod')).toEqual([image]);
    expect((await get(platd.routerPort, 'shop-prod.localhost')).body).toBe('stage production\n');
    const info = JSON.parse(await plat(['pipelines:info', 'shop', '--json']));
    expect(info.apps.map((a: { app: string }) => a.app)).toEqual(['shop-prod']);
  });
});
