import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { credentialsPath, type Credentials } from './credentials-file.js';

/**
 * The login's token as an Authorization header for the API's git URLs, in a git config file beside plat's
 * credentials that the repos configureRemote sets up include: git sends it with its first request. Without
 * it, git asked its credential store on every push, after a refused request (get), and again after the push
 * (store): ~10 ms of each push, ~30 ms where processes start slowly. Like any included config, it shows in
 * `git config --list` in those repos.
 */
export function gitAuthConfigPath(env: NodeJS.ProcessEnv): string {
  return resolve(credentialsPath(env).replace(/credentials\.json$/, 'git-auth.config'));
}

/** One section per API, as keepAuthHeader writes them: git matches it on scheme, host, port and the path. */
const SECTION = /^\[http "([^"\\\n]+)"\]\n\textraHeader = ([^\n]*)\n/gm;

/** Keeps the header for this API's git URLs, replacing one kept before; other APIs' headers stay. */
export function keepAuthHeader(credentials: Credentials, env: NodeJS.ProcessEnv): void {
  const path = gitAuthConfigPath(env);
  const url = `${new URL(credentials.apiUrl).origin}/git/`;
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // None kept yet.
  }
  const headers = new Map([...text.matchAll(SECTION)].map(([, kept, header]) => [kept!, header!]));
  headers.set(url, `Authorization: Basic ${Buffer.from(`plat:${credentials.token}`).toString('base64')}`);
  const config = [...headers].map(([kept, header]) => `[http "${kept}"]\n\textraHeader = ${header}\n`).join('');
  // Written here, never handed to `git config`: a command's arguments are anyone's to read on the host.
  // 0600 from its creation, under this process's name (two plat commands may write at once; one left by a
  // process of the same pid that crashed goes), then renamed over the old file.
  const next = `${path}.${process.pid}`;
  rmSync(next, { force: true });
  try {
    writeFileSync(next, config, { mode: 0o600, flag: 'wx' });
    renameSync(next, path);
  } finally {
    rmSync(next, { force: true });
  }
}

/** `plat logout`. */
export function forgetAuthHeaders(env: NodeJS.ProcessEnv): void {
  rmSync(gitAuthConfigPath(env), { force: true });
}
