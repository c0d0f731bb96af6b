import { spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PlatError } from '@plat/core';
import { credentialsPath, type Credentials } from './credentials-file.js';

/**
 * The token for `git push` over HTTP, kept twice in 0600 files beside plat's credentials. First as an
 * Authorization header for the API's git URLs, in a git config file that app repos include: git sends it
 * with its first request. Then in git's own credential store (git-credential-store(1)), which git asks only
 * when a request was refused anyway, so a revoked token ends in git's "Authentication failed". Asking the
 * store on every push cost a refused request and two helper runs (get, then store): ~10 ms of each push,
 * ~30 ms where processes start slowly.
 */
export function gitCredentialsPath(env: NodeJS.ProcessEnv): string {
  return resolve(credentialsPath(env).replace(/credentials\.json$/, 'git-credentials'));
}

/** The git config file with the Authorization header, included by the repos `configureRemote` set up. */
export function gitAuthConfigPath(env: NodeJS.ProcessEnv): string {
  return resolve(credentialsPath(env).replace(/credentials\.json$/, 'git-auth.config'));
}

/** The key of the header for the API's git URLs: git matches it on scheme, host, port and the /git/ path. */
function headerKey(apiUrl: string): string {
  return `http.${new URL(apiUrl).origin}/git/.extraHeader`;
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

function git(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('git', args, { stdio: ['pipe', 'ignore', 'pipe'], env: { ...env, GIT_TERMINAL_PROMPT: '0' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done() : fail(new PlatError('internal_error', `git ${args[0]} failed: ${stderr.trim()}`)),
    );
    child.stdin.end(input);
  });
}

function credentialStore(env: NodeJS.ProcessEnv, operation: 'store' | 'erase', input: string): Promise<void> {
  return git(['credential-store', `--file=${gitCredentialsPath(env)}`, operation], env, input);
}

/** The Authorization header for the API's git URLs, replacing one kept before; other APIs' headers stay. */
async function keepAuthHeader(credentials: Credentials, env: NodeJS.ProcessEnv): Promise<void> {
  const path = gitAuthConfigPath(env);
  // Made 0600 before git writes the token into it; git keeps a config file's mode when it rewrites it.
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
  const basic = Buffer.from(`plat:${credentials.token}`).toString('base64');
  await git(
    ['config', '--file', path, '--replace-all', headerKey(credentials.apiUrl), `Authorization: Basic ${basic}`],
    env,
  );
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
export function forgetGitCredentials(env: NodeJS.ProcessEnv): void {
  rmSync(gitCredentialsPath(env), { force: true });
  rmSync(gitAuthConfigPath(env), { force: true });
}
