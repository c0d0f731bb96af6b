import { simpleGit } from 'simple-git';
import { requireCredentials } from './credentials.js';
import { keepGitCredential, storeHelper } from './git-credentials.js';

export const REMOTE = 'platform';

export async function isGitRepo(cwd: string): Promise<boolean> {
  return simpleGit({ baseDir: cwd })
    .checkIsRepo()
    .catch(() => false);
}

/**
 * Points the `platform` remote at the app and lets git find the token in
 * git's credential store (git-credentials.ts), for that API's URL only.
 * The token is the one plat uses now (PLAT_TOKEN, or what plat login stored);
 * a git URL on another host than the API's gets none.
 */
export async function configureRemote(cwd: string, gitUrl: string, env: NodeJS.ProcessEnv): Promise<void> {
  // simple-git refuses credential.helper changes unless told: this one is ours.
  const git = simpleGit({ baseDir: cwd, unsafe: { allowUnsafeCredentialHelper: true } });
  const remotes = await git.getRemotes();
  if (remotes.some((remote) => remote.name === REMOTE)) await git.remote(['set-url', REMOTE, gitUrl]);
  else await git.addRemote(REMOTE, gitUrl);
  const origin = new URL(gitUrl).origin;
  const key = `credential.${origin}.helper`;
  await git.raw(['config', '--unset-all', key]).catch(() => undefined);
  // An empty first entry drops helpers configured elsewhere for this URL.
  await git.raw(['config', '--add', key, '']);
  await git.raw(['config', '--add', key, storeHelper(env)]);
  const credentials = requireCredentials(env);
  if (new URL(credentials.apiUrl).origin === origin) await keepGitCredential(credentials, env);
}

/** The app named by the `platform` remote's URL (…/git/<app>.git, or ssh://git@host:port/<app>.git). */
export async function appFromRemote(cwd: string): Promise<string | undefined> {
  if (!(await isGitRepo(cwd))) return undefined;
  const remotes = await simpleGit({ baseDir: cwd }).getRemotes(true);
  const url = remotes.find((remote) => remote.name === REMOTE)?.refs.push;
  return url ? /(?:\/git\/|^ssh:\/\/[^/]+\/)([a-z][a-z0-9-]*)\.git\/?$/.exec(url)?.[1] : undefined;
}
