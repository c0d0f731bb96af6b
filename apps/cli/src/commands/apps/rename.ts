import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { appFromRemote, configureRemote, isGitRepo } from '../../git-remote.js';
import { withProgress } from '../../progress.js';

export async function renameApp(newName: string, options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const app = await withProgress(context, `Renaming ${name} to ${newName}`, () =>
    context.client().apps.update(name, { name: newName }),
  );
  context.output.out(`${app.web_url} | ${app.git_url}`);
  // Keep this repo's remote pointing at the app, as Heroku does.
  if ((await isGitRepo(context.cwd)) && (await appFromRemote(context.cwd)) === name) {
    await configureRemote(context.cwd, app.git_url, context.env);
    context.output.out('Git remote platform updated');
  }
}
