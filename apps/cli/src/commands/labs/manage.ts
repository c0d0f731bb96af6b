import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';

/** `plat labs`: the app's labs features, on or off. */
export async function listFeatures(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const app = await resolveApp(context, options.app);
  const features = await context.client().features.list(app);
  emit(context.output, options.json, features, () =>
    features.map((feature) => `[${feature.enabled ? '+' : ' '}] ${feature.name}  ${feature.description}`),
  );
}

/** `plat labs:enable NAME` / `labs:disable NAME`; the app's dynos restart to see it. */
export async function setFeature(
  name: string,
  enabled: boolean,
  options: { app?: string },
  context: CommandContext,
): Promise<void> {
  const app = await resolveApp(context, options.app);
  const feature = await context.client().features.set(app, name, enabled);
  context.output.out(`${enabled ? 'Enabling' : 'Disabling'} ${feature.name} for ${app}... done`);
}
