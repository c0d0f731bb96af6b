import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';

export async function appInfo(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const app = await context.client().getApp(await resolveApp(context, options.app));
  if (options.json) return context.output.out(JSON.stringify(app, null, 2));
  context.output.out(`=== ${app.name}`);
  const rows: [string, string][] = [
    ['Owner', app.owner],
    ['Stack', app.stack],
    ['Web URL', app.web_url],
    ['Git URL', app.git_url],
    ['Created', app.created_at],
  ];
  const width = Math.max(...rows.map(([key]) => key.length)) + 1;
  for (const [key, value] of rows) context.output.out(`${`${key}:`.padEnd(width)} ${value}`);
}

export async function openApp(options: { app?: string }, context: CommandContext): Promise<void> {
  const app = await context.client().getApp(await resolveApp(context, options.app));
  context.output.out(app.web_url);
}

export async function gitRemote(options: { app?: string }, context: CommandContext): Promise<void> {
  const { configureRemote } = await import('../../git-remote.js');
  const app = await context.client().getApp(await resolveApp(context, options.app));
  await configureRemote(context.cwd, app.git_url);
  context.output.out(`Git remote platform set to ${app.git_url}`);
}
