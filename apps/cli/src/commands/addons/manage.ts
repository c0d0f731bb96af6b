import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { ago, header, keyValues, table } from '../../present.js';
import { withProgress } from '../../progress.js';

export async function listAddons(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const addons = await context.client().addons.list(name);
  emit(context.output, options.json, addons, () =>
    addons.length === 0
      ? [`No add-ons on ${name}. Add one: plat addons:create postgres`]
      : table(
          ['Add-on', 'Plan', 'Config var', 'State', 'Created'],
          addons.map((a) => [a.name, `${a.provider}:${a.plan}`, a.config_var, a.state, ago(a.created_at)]),
        ),
  );
}

export async function createAddon(
  plan: string,
  options: { app?: string; as?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const addon = await withProgress(
    context,
    `Creating ${plan} on ${name}`,
    () => context.client().addons.create(name, { plan, ...(options.as ? { as: options.as } : {}) }),
    (a) => `done, ${a.name} is ${a.state}`,
  );
  emit(context.output, options.json, addon, () => [`${addon.name} attached as ${addon.config_var}`]);
}

export async function addonInfo(
  addonName: string,
  options: { app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const addon = await context.client().addons.get(name, addonName);
  emit(context.output, options.json, addon, () => [
    header(addon.name, context.output.colors),
    ...keyValues([
      ['Plan', `${addon.provider}:${addon.plan}`],
      ['Config var', addon.config_var],
      ['State', addon.state],
      ['Created', addon.created_at],
      // Swarm runtime: add-ons are containers on platd's manager, not services Swarm could move.
      ...(addon.node
        ? [['Node', `${addon.node} (swarm manager: the container and its data stay there)`] as [string, string]]
        : []),
    ]),
  ]);
}

export async function destroyAddon(
  addonName: string,
  options: { app?: string; confirm?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  if (options.confirm !== addonName) {
    throw new PlatError(
      'invalid_params',
      `This destroys ${addonName} and its data. To proceed: plat addons:destroy ${addonName} --confirm ${addonName}`,
    );
  }
  await withProgress(context, `Destroying ${addonName} on ${name}`, () =>
    context.client().addons.destroy(name, addonName, addonName),
  );
}
