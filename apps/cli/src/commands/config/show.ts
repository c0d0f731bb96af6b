import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { header, keyValues } from '../../present.js';

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export async function showConfig(
  options: { app?: string; json?: boolean; shell?: boolean },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const config = await context.client().configVars.get(name);
  if (options.shell) {
    for (const [key, value] of Object.entries(config)) context.output.out(`${key}=${shellQuote(value)}`);
    return;
  }
  emit(context.output, options.json, config, () => [
    header(`${name} Config Vars`, context.output.colors),
    ...keyValues(Object.entries(config)),
  ]);
}

export async function getConfig(key: string, options: { app?: string }, context: CommandContext): Promise<void> {
  const config = await context.client().configVars.get(await resolveApp(context, options.app));
  if (!Object.hasOwn(config, key)) throw new PlatError('not_found', `${key} is not set.`);
  context.output.out(config[key]!);
}
