import type { CommandContext } from '../../context.js';
import { configureRemote, isGitRepo, REMOTE } from '../../git-remote.js';
import { createFromManifest } from './setup.js';
import { configureSshRemote, sshEndpoint, sshNotes } from '../../ssh-remote.js';

export async function createApp(
  name: string | undefined,
  options: { json?: boolean; remote?: boolean; ssh?: boolean; manifest?: string; env?: string[] },
  context: CommandContext,
): Promise<void> {
  const client = context.client();
  // Asked first, so that a Plat without git over SSH refuses before the app exists.
  const ssh = options.ssh ? await sshEndpoint(client) : undefined;
  // With --manifest, app.json's config, formation and add-ons come with the app (createFromManifest).
  const app = options.manifest
    ? (await createFromManifest(name, options.manifest, options.env, context)).app
    : await client.apps.create(name);
  const inRepo = options.remote !== false && (await isGitRepo(context.cwd));
  let remoteUrl = app.git_url;
  if (inRepo && ssh) remoteUrl = await configureSshRemote(context.cwd, ssh, app.name);
  else if (inRepo) await configureRemote(context.cwd, app.git_url, context.env);
  if (options.json) return context.output.out(JSON.stringify(app, null, 2));
  context.output.out(`Creating ${app.name}... done`);
  context.output.out(`${app.web_url} | ${remoteUrl}`);
  if (inRepo) context.output.out(`Git remote ${REMOTE} added: git push ${REMOTE} main`);
  if (inRepo && ssh) for (const line of sshNotes(ssh)) context.output.out(line);
}
