import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { configureRemote, REMOTE } from '../../git-remote.js';

export async function gitRemote(options: { app?: string }, context: CommandContext): Promise<void> {
  const app = await context.client().apps.get(await resolveApp(context, options.app));
  await configureRemote(context.cwd, app.git_url);
  context.output.out(`Git remote ${REMOTE} set to ${app.git_url}`);
}
