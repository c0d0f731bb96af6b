import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { configureRemote, REMOTE } from '../../git-remote.js';
import { configureSshRemote, sshEndpoint, sshNotes } from '../../ssh-remote.js';

export async function gitRemote(options: { app?: string; ssh?: boolean }, context: CommandContext): Promise<void> {
  const client = context.client();
  const app = await client.apps.get(await resolveApp(context, options.app));
  if (options.ssh) {
    const endpoint = await sshEndpoint(client);
    const url = await configureSshRemote(context.cwd, endpoint, app.name);
    context.output.out(`Git remote ${REMOTE} set to ${url}`);
    for (const line of sshNotes(endpoint)) context.output.out(line);
    return;
  }
  await configureRemote(context.cwd, app.git_url, context.env);
  context.output.out(`Git remote ${REMOTE} set to ${app.git_url}`);
}
