import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { withProgress } from '../../progress.js';

export async function showMaintenance(options: { app?: string }, context: CommandContext): Promise<void> {
  const app = await context.client().apps.get(await resolveApp(context, options.app));
  context.output.out(app.maintenance ? 'on' : 'off');
}

export async function setMaintenance(on: boolean, options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  await withProgress(context, `${on ? 'Enabling' : 'Disabling'} maintenance mode for ${name}`, () =>
    context.client().apps.update(name, { maintenance: on }),
  );
}
