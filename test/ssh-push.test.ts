/**
 * git over SSH, as a user does it: `plat keys:add`, `plat apps:create --ssh`,
 * `git push platform main` through platd's own sshd (real OpenSSH, real
 * ssh-keygen, host key checked against the one in the data dir), and the
 * app serves. Then what must be refused, clearly and with nothing changed: a
 * malformed or private key, another user's key, a shell or any command but
 * git's, port forwarding, a push to an app the key's user may not use, and a
 * key once removed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { freePort } from './support/ports.js';
import { run } from './support/run.js';

let platd: Platd;
let sshPort: number;
let repo: string;
let home: string;
let knownHosts: string;
let bobToken: string;

/** ssh as a careful user runs it: only this key, only the host key read from the data dir. */
function sshArgs(key: string): string[] {
  return [
    '-F',
    '/dev/null',
    '-i',
    key,
    '-p',
    String(sshPort),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    `UserKnownHostsFile=${knownHosts}`,
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
  ];
}

const ssh = (key: string, ...args: string[]) =>
  run('ssh', [...sshArgs(key), ...args], { env: platd.userEnv, timeoutMs: 30_000 });

/** git with GIT_SSH_COMMAND using that key (paths are the test's own temp folders: no spaces). */
const git = (args: string[], cwd: string, key = join(home, '.ssh', 'id_ed25519')) =>
  run('git', args, {
    cwd,
    env: { ...platd.userEnv, GIT_SSH_COMMAND: ['ssh', ...sshArgs(key)].join(' ') },
    timeoutMs: 600_000,
  });

const asBob = (args: string[]) => platd.plat(args, { env: { PLAT_API_URL: platd.apiUrl, PLAT_TOKEN: bobToken } });

async function keygen(path: string, comment: string): Promise<string> {
  const made = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  expect(made.code, made.output).toBe(0);
  const listed = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`]);
  return listed.stdout.split(' ')[1]!;
}

/** What the app's repository in the data dir holds: must not move on a refused push. */
async function repoHead(app: string): Promise<string> {
  const repoDir = join(platd.dataDir, 'repos', `${app}.git`);
  return (await run('git', ['--git-dir', repoDir, 'for-each-ref'], { env: platd.userEnv })).stdout;
}

const count = async (args: string[]) =>
  (JSON.parse((await platd.plat([...args, '--json'])).stdout) as unknown[]).length;

beforeAll(async () => {
  sshPort = await freePort();
  platd = await startPlatd({ env: { PLAT_SSH_PORT: String(sshPort), PLAT_SSH_HOST: '127.0.0.1' } });
  home = platd.userEnv.HOME!;
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  // The host keys as the data dir holds them: the only ones ssh will accept.
  knownHosts = join(home, 'known_hosts');
  const hostKeys = ['ed25519', 'ecdsa'].map((type) =>
    readFileSync(join(platd.dataDir, 'ssh', `ssh_host_${type}_key.pub`), 'utf8')
      .split(' ')
      .slice(0, 2)
      .join(' '),
  );
  writeFileSync(knownHosts, hostKeys.map((key) => `[127.0.0.1]:${sshPort} ${key}\n`).join(''));
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  const bob = await platd.plat(['users:create', 'bob@example.com', '--json']);
  bobToken = (JSON.parse(bob.stdout) as { token: string }).token;
}, 180_000);

afterAll(async () => {
  await platd?.destroy();
});

describe('git push over SSH', () => {
  let fingerprint: string;

  it('adds the default key, ~/.ssh/id_ed25519.pub, with the fingerprint ssh-keygen shows', async () => {
    fingerprint = await keygen(join(home, '.ssh', 'id_ed25519'), 'admin@laptop');
    const added = await platd.plat(['keys:add']);
    expect(added.output).toContain(`Added SSH key ${fingerprint} (ssh-ed25519, admin@laptop)`);
    expect(added.code).toBe(0);
    const keys = await platd.plat(['keys']);
    expect(keys.stdout).toContain(fingerprint);
    expect(keys.stdout).toContain('admin@laptop');
  });

  it('creates an app with an SSH remote and shows the host keys to compare', async () => {
    repo = await exampleRepo(platd, 'flask-hello');
    const created = await platd.plat(['apps:create', 'sshapp', '--ssh'], { cwd: repo });
    expect(created.code, created.output).toBe(0);
    const remote = await platd.git(['remote', 'get-url', 'platform'], repo);
    expect(remote.stdout.trim()).toBe(`ssh://git@127.0.0.1:${sshPort}/sshapp.git`);
    const listed = await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', knownHosts]);
    const hostFingerprint = listed.stdout.split(' ')[1]!;
    expect(created.output).toContain(`Host key ${hostFingerprint}`);
    // plat finds the app from the SSH remote, as from an HTTP one.
    const info = await platd.plat(['apps:info', '--json'], { cwd: repo });
    expect(JSON.parse(info.stdout)).toMatchObject({ name: 'sshapp' });
  });

  it('builds and serves the app, streaming the build as remote: lines', async () => {
    const push = await git(['push', 'platform', 'main'], repo);
    expect(push.output).toContain('remote: -----> Python app detected');
    expect(push.output).toMatch(/remote: {8}Released v\d+/);
    expect(push.output).toContain('deployed to Plat');
    expect(push.code, push.output).toBe(0);
    const response = await get(platd.routerPort, 'sshapp.localhost');
    expect(response.status).toBe(200);
    expect(response.body).toContain('Hello from Flask on Plat!');
    // upload-pack too: the remote's main is the commit pushed.
    const head = (await platd.git(['rev-parse', 'HEAD'], repo)).stdout.trim();
    const refs = await git(['ls-remote', 'platform', 'refs/heads/main'], repo);
    expect(refs.stdout).toContain(head);
    expect((await platd.plat(['keys', '--json'])).stdout).toMatch(/"last_used_at": "\d/);
  });
});

describe('refusals over SSH change nothing', () => {
  it('refuses a malformed key and a private key, storing nothing', async () => {
    const bad = join(home, 'bad.pub');
    writeFileSync(bad, 'ssh-ed25519 AAAAnotakey admin@laptop\n');
    const malformed = await platd.plat(['keys:add', bad]);
    expect(malformed.code).not.toBe(0);
    expect(malformed.output).toContain('Not a usable SSH public key');
    const secret = await platd.plat(['keys:add', join(home, '.ssh', 'id_ed25519')]);
    expect(secret.code).not.toBe(0);
    expect(secret.output).toContain('is a private key');
    expect(await count(['keys'])).toBe(1);
  });

  it("refuses another user's key to bob, who gets no key", async () => {
    const taken = await asBob(['keys:add', join(home, '.ssh', 'id_ed25519.pub')]);
    expect(taken.code).not.toBe(0);
    expect(taken.output).toContain('registered to another account');
    expect(JSON.parse((await asBob(['keys', '--json'])).stdout)).toEqual([]);
  });

  it('gives no shell, runs no other command and forwards nothing', async () => {
    const key = join(home, '.ssh', 'id_ed25519');
    const before = await repoHead('sshapp');
    const shell = await ssh(key, `git@127.0.0.1`);
    expect(shell.code).not.toBe(0);
    expect(shell.output).toContain('Plat gives no shell over SSH');
    const ls = await ssh(key, 'git@127.0.0.1', 'ls', '/');
    expect(ls.code).not.toBe(0);
    expect(ls.output).toContain('Plat runs only git-receive-pack and git-upload-pack over SSH, not "ls /"');
    expect(ls.output).not.toContain('etc');
    const sneaky = await ssh(key, 'git@127.0.0.1', "git-receive-pack '/sshapp.git'; id");
    expect(sneaky.code).not.toBe(0);
    expect(sneaky.output).not.toContain('uid=');
    const tunnel = await ssh(key, '-W', `127.0.0.1:${platd.apiPort}`, 'git@127.0.0.1');
    expect(tunnel.code).not.toBe(0);
    expect(tunnel.output).toContain('administratively prohibited');
    const reverse = await ssh(
      key,
      '-o',
      'ExitOnForwardFailure=yes',
      '-R',
      `${await freePort()}:127.0.0.1:${platd.apiPort}`,
      'git@127.0.0.1',
      "git-upload-pack '/sshapp.git'",
    );
    expect(reverse.code).not.toBe(0);
    expect(reverse.output).toContain('remote port forwarding failed');
    expect(await repoHead('sshapp')).toBe(before);
  });

  it("refuses bob's push to an app he may not use: no build, no release, the repo as it was", async () => {
    const bobKey = join(home, 'bob_ed25519');
    await keygen(bobKey, 'bob@desk');
    expect((await asBob(['keys:add', `${bobKey}.pub`])).code).toBe(0);
    const before = await repoHead('sshapp');
    const [builds, releases] = [await count(['builds', '-a', 'sshapp']), await count(['releases', '-a', 'sshapp'])];
    writeFileSync(join(repo, 'bob.txt'), 'bob was here\n');
    expect((await platd.git(['add', 'bob.txt'], repo)).code).toBe(0);
    expect((await platd.git(['commit', '-q', '-m', 'bob'], repo)).code).toBe(0);
    const push = await git(['push', 'platform', 'main'], repo, bobKey);
    expect(push.code).not.toBe(0);
    expect(push.output).toContain('You do not have access to the app sshapp.');
    const missing = await git(['push', `ssh://git@127.0.0.1:${sshPort}/no-such-app.git`, 'main'], repo, bobKey);
    expect(missing.code).not.toBe(0);
    expect(missing.output).toContain("Couldn't find that app: no-such-app");
    expect(await repoHead('sshapp')).toBe(before);
    expect(await count(['builds', '-a', 'sshapp'])).toBe(builds);
    expect(await count(['releases', '-a', 'sshapp'])).toBe(releases);
    expect((await get(platd.routerPort, 'sshapp.localhost')).body).toContain('Hello from Flask on Plat!');
  });

  it('refuses a key once it is removed, at once', async () => {
    const removed = await asBob(['keys:remove', 'bob@desk']);
    expect(removed.code, removed.output).toBe(0);
    const push = await ssh(join(home, 'bob_ed25519'), 'git@127.0.0.1', "git-upload-pack '/sshapp.git'");
    expect(push.code).not.toBe(0);
    expect(push.output).toContain('Permission denied (publickey)');
  });
});
