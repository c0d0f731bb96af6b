import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { withProgress } from '../../progress.js';

export async function destroyApp(options: { app?: string; confirm?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  if (options.confirm !== name) {
    throw new PlatError(
      'invalid_params',
      `This destroys ${name} with its dynos, releases and add-ons. ` +
        `To proceed: plat apps:destroy -a ${name} --confirm ${name}`,
    );
  }
  await withProgress(context, `Destroying ${name} (including all add-ons)`, () =>
    context.client().apps.destroy(name, options.confirm!),
  );
}
