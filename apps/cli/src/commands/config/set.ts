import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { withProgress } from '../../progress.js';
import { keyValues } from '../../present.js';

export function parseAssignments(pairs: string[]): Record<string, string> {
  if (pairs.length === 0) throw new PlatError('invalid_params', 'Usage: plat config:set KEY=value [KEY2=value2 ...]');
  const changes: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    if (equals <= 0) throw new PlatError('invalid_params', `${JSON.stringify(pair)} is not KEY=value.`);
    changes[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return changes;
}

async function apply(
  context: CommandContext,
  name: string,
  changes: Record<string, string | null>,
  verb: string,
): Promise<void> {
  const keys = Object.keys(changes).join(', ');
  const { config, release } = await withProgress(context, `${verb} ${keys} and restarting ${name}`, () =>
    context.client().configVars.update(name, changes),
  );
  if (release !== undefined) context.output.err(`Released v${release}`);
  const shown = Object.entries(config).filter(([key]) => Object.hasOwn(changes, key));
  for (const line of keyValues(shown)) context.output.out(line);
}

export async function setConfig(pairs: string[], options: { app?: string }, context: CommandContext): Promise<void> {
  const changes = parseAssignments(pairs);
  await apply(context, await resolveApp(context, options.app), changes, 'Setting');
}

export async function unsetConfig(keys: string[], options: { app?: string }, context: CommandContext): Promise<void> {
  if (keys.length === 0) throw new PlatError('invalid_params', 'Usage: plat config:unset KEY [KEY2 ...]');
  await apply(
    context,
    await resolveApp(context, options.app),
    Object.fromEntries(keys.map((key) => [key, null])),
    'Unsetting',
  );
}
