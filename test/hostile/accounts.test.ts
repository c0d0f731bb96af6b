/**
 * Accounts against a hostile or departing user, through the real plat CLI
 * and git: an admin lists users and disables one (their CLI calls and git
 * pushes fail at once, their app keeps serving), revokes anyone's token;
 * a token made to expire in 1 s stops working; an address guessing tokens is
 * refused before the database; a restarted platd does not print the admin
 * token again.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from '../support/app-repo.js';
import { get } from '../support/http.js';
import { startPlatd, type Platd } from '../support/platd.js';
import { run } from '../support/run.js';
import { until } from '../support/until.js';

let platd: Platd;
let firstStart: string;
let bobToken: string;
let bobRepo: string;

/** Bob's shell: his own token, same API. */
const asBob = (args: string[], token = bobToken) =>
  platd.plat(args, { cwd: bobRepo, env: { PLAT_API_URL: platd.apiUrl, PLAT_TOKEN: token } });
const bobGit = (args: string[]) =>
  run('git', args, { cwd: bobRepo, env: { ...platd.userEnv, PLAT_API_URL: platd.apiUrl, PLAT_TOKEN: bobToken } });
const json = async (args: string[]) => {
  const result = await platd.plat([...args, '--json']);
  expect(result.code, result.output).toBe(0);
  return JSON.parse(result.stdout);
};

beforeAll(async () => {
  platd = await startPlatd();
  firstStart = platd.output();
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
});
afterAll(async () => {
  await platd?.destroy();
});

describe('an admin and a user they let go', () => {
  it('adds and lists users; only admins may', async () => {
    const bob = await json(['users:create', 'bob@example.com']);
    expect(bob).toMatchObject({ email: 'bob@example.com', admin: false });
    bobToken = bob.token;
    bobRepo = await exampleRepo(platd, 'flask-hello');

    const users = await json(['users']);
    expect(users.map((u: { email: string; disabled: boolean }) => [u.email, u.disabled])).toEqual([
      ['admin@plat.local', false],
      ['bob@example.com', false],
    ]);
    const table = await platd.plat(['users']);
    expect(table.stdout).toMatch(/Email\s+Role\s+Status\s+Apps\s+Tokens\s+Created/);
    expect(table.stdout).toMatch(/bob@example\.com\s+user\s+active\s+0\s+1/);

    const denied = await asBob(['users']);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('Only admins may do that.');
  });

  it('disables a user: their CLI and git pushes fail at once, and their app keeps serving', async () => {
    expect((await asBob(['apps:create', 'bobs-app'])).code).toBe(0);
    const pushed = await bobGit(['push', 'platform', 'main']);
    expect(pushed.output).toMatch(/Released v\d+/);
    expect((await get(platd.routerPort, 'bobs-app.localhost')).body).toContain('Hello from Flask on Plat!');

    const disabled = await platd.plat(['users:disable', 'bob@example.com']);
    expect(disabled.code, disabled.output).toBe(0);
    expect(disabled.stdout).toContain("bob@example.com's tokens no longer work");

    const refused = await asBob(['apps']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('The account bob@example.com is disabled');

    writeFileSync(join(bobRepo, 'app.py'), 'raise SystemExit("this must never deploy")\n');
    expect((await bobGit(['commit', '-qam', 'after being let go'])).code).toBe(0);
    const push = await bobGit(['push', 'platform', 'main']);
    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(/Authentication failed|401/);
    const ls = await bobGit(['ls-remote', 'platform']);
    expect(ls.code).not.toBe(0);

    // Nothing changed: still one deploy (v2, over v1 "Initial release"), one build, the same answer.
    expect((await json(['releases', '-a', 'bobs-app'])).map((r: { version: number }) => r.version)).toEqual([2, 1]);
    expect(await json(['builds', '-a', 'bobs-app'])).toHaveLength(1);
    expect((await get(platd.routerPort, 'bobs-app.localhost')).body).toContain('Hello from Flask on Plat!');
    expect((await json(['users'])).find((u: { email: string }) => u.email === 'bob@example.com')).toMatchObject({
      disabled: true,
      apps: 1,
    });
  });

  it('will not let an admin disable themself', async () => {
    const self = await platd.plat(['users:disable', 'admin@plat.local']);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('You cannot disable your own account: another admin can.');
    expect((await platd.plat(['whoami'])).stdout.trim()).toBe('admin@plat.local');
  });

  it('enables the user again, and revokes any of their tokens', async () => {
    expect((await platd.plat(['users:enable', 'bob@example.com'])).code).toBe(0);
    expect((await asBob(['whoami'])).stdout.trim()).toBe('bob@example.com');

    const laptop = JSON.parse((await asBob(['tokens:create', '--description', 'laptop', '--json'])).stdout);
    const listed = await json(['users:tokens', 'bob@example.com']);
    expect(listed.map((t: { description: string }) => t.description)).toEqual(['first token', 'laptop']);
    expect(JSON.stringify(listed)).not.toContain(laptop.token);

    const revoked = await platd.plat(['tokens:revoke', laptop.id]);
    expect(revoked.code, revoked.output).toBe(0);
    const gone = await asBob(['whoami'], laptop.token);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain('Invalid token');
    // Bob's other token, and the admin's, are untouched.
    expect((await asBob(['whoami'])).code).toBe(0);
    expect((await platd.plat(['whoami'])).code).toBe(0);
  });
});

describe('tokens that expire', () => {
  it('stop working after their time, with "Token expired"', async () => {
    const made = await asBob(['tokens:create', '--description', 'one second', '--expires-in', '1s', '--json']);
    expect(made.code, made.output).toBe(0);
    const short = JSON.parse(made.stdout);
    expect(Date.parse(short.expires_at)).toBeLessThanOrEqual(Date.now() + 2_000);

    const expired = await until(
      'the 1 s token to be refused',
      async () => {
        const result = await asBob(['whoami'], short.token);
        return result.code === 3 ? result : undefined;
      },
      15_000,
    );
    expect(expired.stderr).toContain('Token expired');

    const table = await asBob(['tokens']);
    expect(table.stdout).toMatch(/Id\s+Description\s+Created\s+Last used\s+Expires/);
    expect(table.stdout).toMatch(/one second\s+.*expired/);
    expect(table.stdout).toMatch(/first token\s+.*never/);

    const month = JSON.parse((await asBob(['tokens:create', '--expires-in', '30d', '--json'])).stdout);
    expect(Date.parse(month.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const bad = await asBob(['tokens:create', '--expires-in', '3w']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid duration "3w"');
  });
});

describe('an address guessing tokens', () => {
  /** A request from another loopback address than the CLI's 127.0.0.1, as another host's would come. */
  const fromAttacker = (path: string, authorization: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: platd.apiPort, path, localAddress: '127.0.0.2', headers: { authorization } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  const basic = (token: string) => `Basic ${Buffer.from(`plat:${token}`).toString('base64')}`;

  it('gets 429 after 20 failures a minute, before tokens reach the database, git too; others are served', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      const response = await fromAttacker('/v1/apps', `Bearer plat_guess_${i}`);
      statuses.push(response.status);
      if (response.status === 429) expect(JSON.parse(response.body).id).toBe('rate_limited');
    }
    expect(statuses).toEqual([...Array<number>(20).fill(401), ...Array<number>(10).fill(429)]);

    // A good token from that address is refused too: it was never looked up.
    const good = await fromAttacker('/v1/apps', `Bearer ${platd.adminToken}`);
    expect(good.status).toBe(429);
    expect(JSON.parse(good.body).message).toMatch(
      /^Too many failed authentications from your address: retry in \d+ s\.$/,
    );
    const git = await fromAttacker('/git/bobs-app.git/info/refs?service=git-upload-pack', basic(platd.adminToken));
    expect(git.status).toBe(429);
    expect(git.body).toContain('Too many failed authentications');

    // Everyone else, from their own address, is served as before.
    expect((await platd.plat(['whoami'])).stdout.trim()).toBe('admin@plat.local');
    const ls = await bobGit(['ls-remote', 'platform', 'main']);
    expect(ls.code, ls.output).toBe(0);
    expect((await get(platd.routerPort, 'bobs-app.localhost')).body).toContain('Hello from Flask on Plat!');
  });
});

describe('the admin token', () => {
  it('is printed when it is made, and a restart names its file instead', async () => {
    const path = join(platd.dataDir, 'admin-token');
    expect(firstStart).toContain(platd.adminToken);
    await platd.stop();
    await platd.start();
    const banner = platd.output();
    expect(banner).toContain(`Admin token: in ${path}`);
    expect(banner).toContain(`--token "$(cat ${path})"`);
    expect(banner).not.toContain(platd.adminToken);
    // Bob's app runs on through the restart.
    expect((await platd.plat(['whoami'])).stdout.trim()).toBe('admin@plat.local');
    expect((await get(platd.routerPort, 'bobs-app.localhost')).body).toContain('Hello from Flask on Plat!');
  });
});
