import { dirname, join } from 'node:path';
import type { SimpleGitOptions } from 'simple-git';
import { fileURLToPath } from 'node:url';
import { requireCredentials } from './credentials.js';
import { gitAuthConfigPath } from './git-auth-header.js';
import { keepGitCredential, shellWord, storeHelper } from './git-credentials.js';

export const REMOTE = 'platform';

/** simple-git, loaded by the commands that use git: its evaluation is part of every plat start otherwise. */
async function simpleGit(options: Partial<SimpleGitOptions>) {
  return (await import('simple-git')).simpleGit(options);
}

export async function isGitRepo(cwd: string): Promise<boolean> {
  return (await simpleGit({ baseDir: cwd })).checkIsRepo().catch(() => false);
}

/** Repos that a PLAT_TOKEN configured ask this helper, which reads PLAT_TOKEN (or the login) at each push. */
const ENV_HELPER = join(dirname(fileURLToPath(import.meta.url)), '../bin/git-credential-plat.js');

/**
 * Points the `platform` remote at the app and tells git where its token is,
 * for that API's URL only: the header and credential store holding what plat
 * login stored (git-credentials.ts); with PLAT_TOKEN set, plat's helper instead,
 * which reads the environment at each push, so that token is never written.
 * A git URL on another host than the API's gets none.
 */
export async function configureRemote(cwd: string, gitUrl: string, env: NodeJS.ProcessEnv): Promise<void> {
  // simple-git refuses credential.helper changes unless told: this one is ours.
  const git = await simpleGit({ baseDir: cwd, unsafe: { allowUnsafeCredentialHelper: true } });
  const remotes = await git.getRemotes();
  if (remotes.some((remote) => remote.name === REMOTE)) await git.remote(['set-url', REMOTE, gitUrl]);
  else await git.addRemote(REMOTE, gitUrl);
  const origin = new URL(gitUrl).origin;
  const key = `credential.${origin}.helper`;
  const fromEnv = Boolean(env.PLAT_TOKEN);
  await git.raw(['config', '--unset-all', key]).catch(() => undefined);
  // An empty first entry drops helpers configured elsewhere for this URL.
  await git.raw(['config', '--add', key, '']);
  await git.raw(['config', '--add', key, fromEnv ? `!${shellWord(ENV_HELPER)}` : storeHelper(env)]);
  // The login's Authorization header (git-credentials.ts): never beside PLAT_TOKEN, which must win.
  // Whatever the home was when it was added: one of another home would send another login's token.
  await git.raw(['config', '--unset-all', 'include.path', '(^|/)plat/git-auth\\.config$']).catch(() => undefined);
  if (fromEnv) return;
  const credentials = requireCredentials(env);
  if (new URL(credentials.apiUrl).origin !== origin) return;
  await keepGitCredential(credentials, env);
  await git.raw(['config', '--add', 'include.path', gitAuthConfigPath(env)]);
}

/** The app named by the `platform` remote's URL (…/git/<app>.git, or ssh://git@host:port/<app>.git). */
export async function appFromRemote(cwd: string): Promise<string | undefined> {
  if (!(await isGitRepo(cwd))) return undefined;
  const remotes = await (await simpleGit({ baseDir: cwd })).getRemotes(true);
  const url = remotes.find((remote) => remote.name === REMOTE)?.refs.push;
  return url ? /(?:\/git\/|^ssh:\/\/[^/]+\/)([a-z][a-z0-9-]*)\.git\/?$/.exec(url)?.[1] : undefined;
}
