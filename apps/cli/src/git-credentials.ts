import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PlatError } from '@plat/core';
import { credentialsPath, type Credentials } from './credentials-file.js';
import { forgetAuthHeaders, keepAuthHeader } from './git-auth-header.js';

/**
 * The token for `git push` over HTTP, in git's own credential store (git-credential-store(1)), a 0600 file
 * beside plat's credentials: for repos that do not include the header (git-auth-header.ts), set up by an
 * older plat or for another host. git asks it after a refused request, then stores what worked; with the
 * header, a refused token stays refused ("Authentication failed"), and plat login is what mends it.
 */
export function gitCredentialsPath(env: NodeJS.ProcessEnv): string {
  return resolve(credentialsPath(env).replace(/credentials\.json$/, 'git-credentials'));
}

/** A word for sh, which runs the helpers named in git's config. */
export function shellWord(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The helper line for git's config: git runs `git credential-store --file=PATH` through sh. */
export function storeHelper(env: NodeJS.ProcessEnv): string {
  return `store --file=${shellWord(gitCredentialsPath(env))}`;
}

/** git's credential description (git-credential(1)) of the token for this API's host. */
function description(credentials: Credentials, withPassword: boolean): string {
  // One field a line: a line break in a token would add fields of its own.
  if ([...credentials.token].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f))
    throw new PlatError('invalid_params', 'The token has control characters.');
  const api = new URL(credentials.apiUrl);
  const fields = [`protocol=${api.protocol.replace(':', '')}`, `host=${api.host}`, 'username=plat'];
  if (withPassword) fields.push(`password=${credentials.token}`);
  return `${fields.join('\n')}\n\n`;
}

function credentialStore(env: NodeJS.ProcessEnv, operation: 'store' | 'erase', input: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('git', ['credential-store', `--file=${gitCredentialsPath(env)}`, operation], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: { ...env, GIT_TERMINAL_PROMPT: '0' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0
        ? done()
        : fail(new PlatError('internal_error', `git credential-store ${operation} failed: ${stderr.trim()}`)),
    );
    child.stdin.end(input);
  });
}

/**
 * Keeps the token for the API's host (replacing one kept before), so pushes
 * to its git URLs need no password. Without git there is nothing to push
 * with, and nothing is kept.
 */
export async function keepGitCredential(credentials: Credentials, env: NodeJS.ProcessEnv): Promise<void> {
  mkdirSync(dirname(gitCredentialsPath(env)), { recursive: true, mode: 0o700 });
  try {
    await credentialStore(env, 'erase', description(credentials, false));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  await credentialStore(env, 'store', description(credentials, true));
  await keepAuthHeader(credentials, env);
}

/** `plat logout`: git forgets the tokens too. */
export async function forgetGitCredentials(env: NodeJS.ProcessEnv): Promise<void> {
  rmSync(gitCredentialsPath(env), { force: true });
  await forgetAuthHeaders(env);
}
