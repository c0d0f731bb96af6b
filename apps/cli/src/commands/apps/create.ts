import type { CommandContext } from '../../context.js';
import { configureRemote, isGitRepo, REMOTE } from '../../git-remote.js';

export async function createApp(
  name: string | undefined,
  options: { json?: boolean; remote?: boolean },
  context: CommandContext,
): Promise<void> {
  const app = await context.client().apps.create(name);
  const inRepo = options.remote !== false && (await isGitRepo(context.cwd));
  if (inRepo) await configureRemote(context.cwd, app.git_url);
  if (options.json) return context.output.out(JSON.stringify(app, null, 2));
  context.output.out(`Creating ${app.name}... done`);
  context.output.out(`${app.web_url} | ${app.git_url}`);
  if (inRepo) context.output.out(`Git remote ${REMOTE} added: git push ${REMOTE} main`);
}
