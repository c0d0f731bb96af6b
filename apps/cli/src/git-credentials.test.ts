import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configureRemote } from './git-remote.js';
import { forgetGitCredentials, gitCredentialsPath, keepGitCredential } from './git-credentials.js';

const home = mkdtempSync(join(tmpdir(), 'plat-git-credentials-'));
const env = { PATH: process.env.PATH, HOME: home };
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** What git itself answers when a push to `url` asks for a password. */
function fill(cwd: string, url: string): string {
  const { protocol, host } = new URL(url);
  return execFileSync('git', ['credential', 'fill'], {
    cwd,
    env: { ...env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false' },
    input: `protocol=${protocol.replace(':', '')}\nhost=${host}\npath=git/app.git\n\n`,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'ignore'],
  });
}

describe("the token in git's credential store", () => {
  it('is kept for the API host only, replaced by a new login, and forgotten on logout', async () => {
    const repo = join(home, 'repo');
    execFileSync('git', ['init', '-q', repo], { env });
    const credentials = { apiUrl: 'http://127.0.0.1:45335', token: 'plat_first' };
    await keepGitCredential(credentials, env);
    await configureRemote(repo, 'http://127.0.0.1:45335/git/app.git', {
      ...env,
      PLAT_API_URL: credentials.apiUrl,
      PLAT_TOKEN: 'plat_second',
    });
    expect(statSync(gitCredentialsPath(env)).mode & 0o777).toBe(0o600);
    // The token plat uses now (here PLAT_TOKEN) replaced the one kept before.
    expect(readFileSync(gitCredentialsPath(env), 'utf8')).toBe('http://plat:plat_second@127.0.0.1%3a45335\n');
    expect(fill(repo, 'http://127.0.0.1:45335/git/app.git')).toContain('password=plat_second\n');
    // Another host, or another port on this one, gets nothing from the store.
    expect(() => fill(repo, 'http://127.0.0.1:45336/git/app.git')).toThrow();

    forgetGitCredentials(env);
    expect(() => fill(repo, 'http://127.0.0.1:45335/git/app.git')).toThrow();
  });
});
