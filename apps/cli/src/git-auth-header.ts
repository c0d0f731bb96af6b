import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
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

/**
 * How long a login waits for another's write of the file. The lock is held only through a few synchronous
 * calls, so one left behind means a process killed in them: the error says to remove it.
 */
const LOCK_WAIT_MS = 5_000;

/**
 * Keeps the header for this API's git URLs, replacing one kept before; other APIs' headers stay. Two
 * logins at once (to two APIs) must not lose one: as git does with its own config files, the file is
 * written as `<file>.lock`, made exclusively (the lock) and 0600 from its creation, then renamed over it.
 * It is written here, never handed to `git config`: a command's arguments are anyone's to read on the host.
 */
export async function keepAuthHeader(credentials: Credentials, env: NodeJS.ProcessEnv): Promise<void> {
  const path = gitAuthConfigPath(env);
  await replaceUnderLock(path, () => {
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      // None kept yet; a file that cannot be read is not written over with this API's header alone.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const url = `${new URL(credentials.apiUrl).origin}/git/`;
    const headers = new Map([...text.matchAll(SECTION)].map(([, kept, header]) => [kept!, header!]));
    headers.set(url, `Authorization: Basic ${Buffer.from(`plat:${credentials.token}`).toString('base64')}`);
    return [...headers].map(([kept, header]) => `[http "${kept}"]\n\textraHeader = ${header}\n`).join('');
  });
}

/** Replaces the file with what `next` makes (undefined: removes it), holding `<path>.lock` meanwhile. */
async function replaceUnderLock(path: string, next: () => string | undefined): Promise<void> {
  const lock = `${path}.lock`;
  const fd = await lockFile(lock);
  let renamed = false;
  try {
    let text: string | undefined;
    try {
      text = next();
      if (text !== undefined) writeFileSync(fd, text);
    } finally {
      closeSync(fd);
    }
    if (text === undefined) rmSync(path, { force: true });
    else {
      renameSync(lock, path);
      renamed = true;
    }
  } finally {
    // Renamed, the lock is gone: one that another process makes at once is not this one's to remove.
    if (!renamed) rmSync(lock, { force: true });
  }
}

/** Makes the lock file, waiting while another process holds it. */
async function lockFile(lock: string): Promise<number> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return openSync(lock, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${lock} is held by another plat command; if none is running, remove it and try again`);
    }
    await sleep(10);
  }
}

/** `plat logout`: under the lock, so a login to another API at the same time does not write it back. */
export async function forgetAuthHeaders(env: NodeJS.ProcessEnv): Promise<void> {
  const path = gitAuthConfigPath(env);
  if (existsSync(path)) await replaceUnderLock(path, () => undefined);
}
