import type { CommandContext } from '../../context.js';

export async function listApps(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const apps = await context.client().listApps();
  if (options.json) return context.output.out(JSON.stringify(apps, null, 2));
  if (apps.length === 0) return context.output.out('You have no apps. Create one: plat apps:create NAME');
  context.output.out('=== Apps');
  for (const app of apps) context.output.out(app.name);
}
