import { PlatError, type LogDrain } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { header } from '../../present.js';

/** Heroku's listing: `URL (TOKEN)`, with why delivery fails when it does. */
export function drainLines(app: string, drains: LogDrain[], colors?: Parameters<typeof header>[1]): string[] {
  if (drains.length === 0) return [`${app} has no drains.`];
  return [
    header('Drains', colors),
    ...drains.flatMap((drain) => [
      `${drain.url} (${drain.token})`,
      ...(drain.last_error ? [`  failing: ${drain.last_error} (retrying)`] : []),
    ]),
  ];
}

export async function listDrains(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const drains = await context.client().drains.list(name);
  emit(context.output, options.json, drains, () => drainLines(name, drains, context.output.colors));
}

export async function addDrain(
  url: string,
  options: { app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const drain = await context.client().drains.add(name, url);
  emit(context.output, options.json, drain, () => [
    `Successfully added drain ${drain.url}`,
    `Its token, in every message it carries: ${drain.token}`,
  ]);
}

/** The drain a user names by its URL (as added or as listed), token or id. */
export function findDrain(drains: LogDrain[], which: string): LogDrain | undefined {
  const trimmed = which.trim();
  return (
    drains.find(
      (d) =>
        d.url === trimmed || d.url === `${trimmed}/` || d.url.replace(/\/$/, '') === trimmed || d.token === trimmed,
    ) ?? drains.find((d) => d.id === trimmed)
  );
}

export async function removeDrain(which: string, options: { app?: string }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const client = context.client();
  const drain = findDrain(await client.drains.list(name), which);
  if (!drain) throw new PlatError('not_found', `${which} is not a drain of ${name} (plat drains lists them).`);
  await client.drains.remove(name, drain.id);
  context.output.out(`Successfully removed drain ${drain.url}`);
}
