import { PlatError, type SshEndpoint } from '@plat/core';
import { sshGitUrl, type PlatClient } from '@plat/client';
import { REMOTE } from './git-remote.js';

/** Where the server's sshd answers; refuses (before anything is made) when git over SSH is off there. */
export async function sshEndpoint(client: PlatClient): Promise<SshEndpoint> {
  const endpoint = await client.ssh();
  if (!endpoint.enabled)
    throw new PlatError('unavailable', `This Plat has no git over SSH: ${endpoint.problem ?? 'off'}.`);
  return endpoint;
}

/** Points the `platform` remote at the app over SSH; ssh uses your keys, so no credential helper is set. */
export async function configureSshRemote(cwd: string, endpoint: SshEndpoint, app: string): Promise<string> {
  const url = sshGitUrl(endpoint, app);
  const { simpleGit } = await import('simple-git');
  const git = simpleGit({ baseDir: cwd });
  const remotes = await git.getRemotes();
  if (remotes.some((remote) => remote.name === REMOTE)) await git.remote(['set-url', REMOTE, url]);
  else await git.addRemote(REMOTE, url);
  return url;
}

/** What to tell the user after an SSH remote is set: the host keys to compare, and sshd's state. */
export function sshNotes(endpoint: SshEndpoint): string[] {
  const notes = endpoint.host_keys.map((key) => `Host key ${key.fingerprint} (${key.type})`);
  if (!endpoint.running) notes.push(`Warning: sshd does not answer right now: ${endpoint.problem ?? 'unknown'}`);
  notes.push('Add your public key with plat keys:add if you have not.');
  return notes;
}
