/**
 * The README's walkthrough, as a user types it: log in, create an app,
 * `git push platform main`, and the app answers through the router. Then the
 * ways it can go wrong, each with a clear message and nothing changed.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { instanceContainers } from './support/docker-cleanup.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';

let platd: Platd;
let repo: string;

beforeAll(async () => {
  platd = await startPlatd();
});

afterAll(async () => {
  await platd?.destroy();
});

describe('deploying examples/flask-hello', () => {
  it('logs in with the admin token', async () => {
    const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
    expect(login.output).toContain('Logged in as admin@plat.local');
    expect(login.code).toBe(0);
  });

  it('creates the app and its git remote', async () => {
    repo = await exampleRepo(platd, 'flask-hello');
    const created = await platd.plat(['apps:create', 'hello'], { cwd: repo });
    expect(created.output).toContain('Creating hello... done');
    expect(created.code).toBe(0);
    const remote = await platd.git(['remote', 'get-url', 'platform'], repo);
    expect(remote.stdout.trim()).toBe(`${platd.apiUrl}/git/hello.git`);
    const apps = await platd.plat(['apps']);
    expect(apps.stdout).toContain('hello');
  });

  it('answers H14 before its first deploy', async () => {
    const response = await get(platd.routerPort, 'hello.localhost');
    expect(response.status).toBe(503);
    expect(response.body).toContain('H14');
  });

  it('builds and serves the app on git push', async () => {
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.output).toContain('remote: -----> Python app detected');
    // v1 is the app's "Initial release" (apps:create): the first deploy is v2, as on Heroku.
    expect(push.output).toContain('remote:        Released v2');
    // Where the time went, as the push's last step, and kept with the build and the release.
    expect(push.output).toMatch(/remote: -----> Done in \d+\.\d\d s: .*build \d+\.\d\d/);
    expect(push.code).toBe(0);
    const [release] = JSON.parse((await platd.plat(['releases', '--json'], { cwd: repo })).stdout);
    expect(release.version).toBe(2);
    expect(Object.keys(release.timings).length).toBeGreaterThan(0);
    // The rollout's own phases, marked by the controller as it starts, waits for and routes the new dyno.
    expect(release.timings).toMatchObject({
      release: expect.any(Number),
      start: expect.any(Number),
      ready: expect.any(Number),
      route: expect.any(Number),
    });
    const builds = JSON.parse((await platd.plat(['builds', '--json'], { cwd: repo })).stdout);
    expect(builds[0].timings).toMatchObject({
      receive: expect.any(Number),
      archive: expect.any(Number),
      detect: expect.any(Number),
      build: expect.any(Number),
    });
    const url = (await platd.plat(['open'], { cwd: repo })).stdout.trim();
    expect(url).toBe(`http://hello.localhost:${platd.routerPort}/`);
    const response = await get(platd.routerPort, 'hello.localhost');
    expect(response.status).toBe(200);
    expect(response.body).toContain('Hello from Flask on Plat! (dyno web.1)');
  });

  it('rejects a push whose build fails and keeps serving the first version', async () => {
    appendFileSync(join(repo, 'requirements.txt'), 'plat-no-such-package-anywhere==9.9.9\n');
    const app = readFileSync(join(repo, 'app.py'), 'utf8');
    writeFileSync(join(repo, 'app.py'), app.replace('Hello from Flask on Plat', 'This version must never serve'));
    await platd.git(['commit', '-q', '-am', 'break the build'], repo);
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code).not.toBe(0);
    expect(push.output).toContain('plat-no-such-package-anywhere');
    expect(push.output).toContain('[remote rejected] main -> main');
    const response = await get(platd.routerPort, 'hello.localhost');
    expect(response.status).toBe(200);
    expect(response.body).toContain('Hello from Flask on Plat!');
    const dynos = await instanceContainers(platd.instance);
    expect(
      dynos.filter((c) => c.Labels['plat.dyno'] && c.State === 'running').map((c) => c.Labels['plat.version']),
    ).toEqual(['2']);
  });
});

describe('bad input changes nothing', () => {
  it('refuses invalid app names', async () => {
    for (const name of ['Hello', 'a'.repeat(31), 'x;rm-rf', '1abc']) {
      const created = await platd.plat(['apps:create', name]);
      expect(created.code).toBe(1);
      expect(created.stderr).toContain('Invalid app name');
    }
    const apps = await platd.plat(['apps', '--json']);
    expect(JSON.parse(apps.stdout).map((app: { name: string }) => app.name)).toEqual(['hello']);
  });

  it('refuses a taken name', async () => {
    const created = await platd.plat(['apps:create', 'hello', '--no-remote']);
    expect(created.code).toBe(1);
    expect(created.stderr).toContain('already taken');
  });

  it('refuses API calls with a wrong or missing token', async () => {
    const wrong = await platd.plat(['apps'], { env: { PLAT_TOKEN: 'plat_wrong' } });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toContain('Invalid token');
    const missing = await fetch(`${platd.apiUrl}/v1/apps`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ id: 'unauthorized' });
  });

  it('refuses a push with a wrong token', async () => {
    // What plat login kept is sent as a header with git's first request (an empty value drops it), and asked
    // of the credential helper after a refusal: both are wrong here.
    const wrong = `Authorization: Basic ${Buffer.from('plat:plat_wrong').toString('base64')}`;
    const push = await platd.git(
      [
        '-c',
        `http.${platd.apiUrl}/git/.extraHeader=`,
        '-c',
        `http.${platd.apiUrl}/git/.extraHeader=${wrong}`,
        '-c',
        'credential.helper=',
        '-c',
        'credential.helper=!f() { echo username=plat; echo password=plat_wrong; }; f',
        'push',
        'platform',
        'main',
      ],
      repo,
    );
    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(/Authentication failed|Invalid token/);
  });

  it('refuses a push to an app that does not exist', async () => {
    const push = await platd.git(['push', `${platd.apiUrl}/git/no-such-app.git`, 'main'], repo);
    expect(push.code).not.toBe(0);
    expect(push.output).toContain("Couldn't find that app: no-such-app");
  });

  it('rejects a push of a repo with no detectable app', async () => {
    const dir = mkdtempSync(join(dirname(platd.dataDir), 'empty-'));
    writeFileSync(join(dir, 'README.txt'), 'nothing to run here\n');
    for (const args of [
      ['init', '-q', '-b', 'main'],
      ['add', '-A'],
      ['commit', '-q', '-m', 'no app'],
    ])
      await platd.git(args, dir);
    expect((await platd.plat(['apps:create', 'empty-app'], { cwd: dir })).code).toBe(0);
    const push = await platd.git(['push', 'platform', 'main'], dir);
    expect(push.code).not.toBe(0);
    expect(push.output).toContain('No buildpack detected this app');
    const response = await get(platd.routerPort, 'empty-app.localhost');
    expect(response.status).toBe(503);
  });
});
