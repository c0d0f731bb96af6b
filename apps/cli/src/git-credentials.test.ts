import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { saveCredentials } from './credentials.js';
import { configureRemote } from './git-remote.js';
import { gitAuthConfigPath, keepAuthHeader } from './git-auth-header.js';
import { forgetGitCredentials, gitCredentialsPath, keepGitCredential } from './git-credentials.js';

const home = mkdtempSync(join(tmpdir(), 'plat-git-credentials-'));
const env = { PATH: process.env.PATH, HOME: home };
const API = 'http://127.0.0.1:45335';
const GIT_URL = `${API}/git/app.git`;
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** What git itself answers in `repo` when a push to `url` asks for a password. */
function fill(repo: string, url: string): string {
  const { protocol, host } = new URL(url);
  return execFileSync('git', ['credential', 'fill'], {
    cwd: repo,
    env: { ...env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false' },
    input: `protocol=${protocol.replace(':', '')}\nhost=${host}\npath=git/app.git\n\n`,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
  });
}

/** The Authorization header git sends with its first request to `url` from `repo`, if any. */
function header(repo: string, url: string): string | undefined {
  try {
    return execFileSync('git', ['config', '--get-urlmatch', 'http.extraHeader', url], {
      cwd: repo,
      env,
      encoding: 'utf8',
    });
  } catch {
    return undefined;
  }
}

const basic = (token: string) => `Authorization: Basic ${Buffer.from(`plat:${token}`).toString('base64')}\n`;

function newRepo(name: string): string {
  const repo = join(home, name);
  execFileSync('git', ['init', '-q', repo], { env });
  return repo;
}

/** What plat login does with a token. */
async function login(token: string): Promise<void> {
  saveCredentials({ apiUrl: API, token }, env);
  await keepGitCredential({ apiUrl: API, token }, env);
}

describe("the token in git's credential store", () => {
  it("holds the login's token for the API's host and port only, a new login's replacing it", async () => {
    await login('plat_first');
    const repo = newRepo('repo');
    await configureRemote(repo, GIT_URL, env);
    expect(fill(repo, GIT_URL)).toContain('password=plat_first\n');
    await login('plat_second');
    expect(statSync(gitCredentialsPath(env)).mode & 0o777).toBe(0o600);
    expect(readFileSync(gitCredentialsPath(env), 'utf8')).toBe('http://plat:plat_second@127.0.0.1%3a45335\n');
    expect(fill(repo, GIT_URL)).toContain('password=plat_second\n');
    // Another host, or another port on this one, gets nothing.
    expect(() => fill(repo, 'http://127.0.0.1:45336/git/app.git')).toThrow();
  });

  it("is sent as a header with git's first request to the API's git URLs, and to no other URL", async () => {
    const repo = join(home, 'repo');
    expect(header(repo, GIT_URL)).toBe(basic('plat_second'));
    expect(statSync(gitAuthConfigPath(env)).mode & 0o777).toBe(0o600);
    expect(header(repo, 'http://127.0.0.1:45336/git/app.git')).toBeUndefined();
    expect(header(repo, `${API}/v1/apps`)).toBeUndefined();
    // Set up again, the repo includes the file once; a new login's token replaces the old in it.
    await configureRemote(repo, GIT_URL, env);
    const includes = execFileSync('git', ['config', '--get-all', 'include.path'], { cwd: repo, env, encoding: 'utf8' });
    expect(includes).toBe(`${gitAuthConfigPath(env)}\n`);
    await login('plat_third');
    expect(header(repo, GIT_URL)).toBe(basic('plat_third'));
    expect(readFileSync(gitAuthConfigPath(env), 'utf8')).not.toContain(basic('plat_second').trim());
    // A login to another API keeps this one's header beside its own.
    const other = 'https://plat.example.com:8443';
    await keepGitCredential({ apiUrl: other, token: 'plat_other' }, env);
    expect(header(repo, GIT_URL)).toBe(basic('plat_third'));
    expect(header(repo, `${other}/git/app.git`)).toBe(basic('plat_other'));
    expect(statSync(gitAuthConfigPath(env)).mode & 0o777).toBe(0o600);
  });

  it('loses neither header when another login writes the file at the same time', async () => {
    const repo = join(home, 'repo');
    const path = gitAuthConfigPath(env);
    const kept = readFileSync(path, 'utf8');
    // Another plat process holds the lock, its new file half written; this login waits for it.
    const lock = `${path}.lock`;
    writeFileSync(lock, kept.replace(basic('plat_third').trim(), basic('plat_fourth').trim()), { flag: 'wx' });
    const waiting = keepAuthHeader({ apiUrl: 'http://127.0.0.1:45337', token: 'plat_fifth' }, env);
    // What the other process does last: its file in place, and the lock gone.
    renameSync(lock, path);
    await waiting;
    expect(header(repo, GIT_URL)).toBe(basic('plat_fourth'));
    expect(header(repo, 'http://127.0.0.1:45337/git/app.git')).toBe(basic('plat_fifth'));
    expect(existsSync(lock)).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await login('plat_third');
  });

  it('leaves no lock behind when it cannot read the file, and writes nothing over it', async () => {
    const path = gitAuthConfigPath(env);
    const kept = readFileSync(path, 'utf8');
    rmSync(path);
    mkdirSync(path);
    await expect(keepAuthHeader({ apiUrl: 'http://127.0.0.1:45338', token: 'plat_x' }, env)).rejects.toThrow(/EISDIR/);
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(statSync(path).isDirectory()).toBe(true);
    rmSync(path, { recursive: true });
    writeFileSync(path, kept, { mode: 0o600 });
  });

  it('writes a PLAT_TOKEN nowhere: that repo asks plat, which reads it at each push', async () => {
    const before = readFileSync(gitCredentialsPath(env), 'utf8');
    const repo = newRepo('ci-repo');
    await configureRemote(repo, GIT_URL, { ...env, PLAT_TOKEN: 'plat_from_ci' });
    expect(readFileSync(gitCredentialsPath(env), 'utf8')).toBe(before);
    const helpers = execFileSync('git', ['config', '--get-all', `credential.${API}.helper`], { cwd: repo, env });
    expect(helpers.toString()).toMatch(/^\n!'.*\/bin\/git-credential-plat\.js'\n$/);
    expect(header(repo, GIT_URL)).toBeUndefined();
    // A repo set up with the login before, in another home too: PLAT_TOKEN now, so no login's header is sent.
    const earlier = join(home, 'repo');
    execFileSync('git', ['config', '--add', 'include.path', '/home/someone/.config/plat/git-auth.config'], {
      cwd: earlier,
      env,
    });
    await configureRemote(earlier, GIT_URL, { ...env, PLAT_TOKEN: 'plat_from_ci' });
    expect(header(earlier, GIT_URL)).toBeUndefined();
    await configureRemote(earlier, GIT_URL, env);
  });

  it('refuses a token with a line break, which would add fields of its own', async () => {
    await expect(keepGitCredential({ apiUrl: API, token: 'plat_x\nhost=elsewhere' }, env)).rejects.toThrow(
      'control characters',
    );
  });

  it('is forgotten on logout', async () => {
    const repo = join(home, 'repo');
    await forgetGitCredentials(env);
    expect(() => fill(repo, GIT_URL)).toThrow();
    expect(header(repo, GIT_URL)).toBeUndefined();
  });
});
