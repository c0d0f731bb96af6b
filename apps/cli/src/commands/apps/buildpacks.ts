import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';

export async function showBuildpack(options: { app?: string }, context: CommandContext): Promise<void> {
  const app = await context.client().apps.get(await resolveApp(context, options.app));
  context.output.out(app.buildpack ?? '(detected on each build)');
}

export async function setBuildpack(
  buildpack: string | null,
  options: { app?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const app = await context.client().apps.update(name, { buildpack });
  context.output.out(
    app.buildpack
      ? `Buildpack set to ${app.buildpack}. The next git push uses it.`
      : 'Buildpack cleared: the next git push detects one.',
  );
}
