import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { withProgress } from '../../progress.js';

/** `web=3`, `worker=1:basic`, `web=:performance`, `web+2` is not Heroku's; keep to its forms. */
export function parseScale(args: string[]): { type: string; quantity?: number; size?: string }[] {
  if (args.length === 0) throw new PlatError('invalid_params', 'Usage: plat scale web=2 [worker=1:basic ...]');
  return args.map((arg) => {
    const match = /^([A-Za-z0-9_-]+)=(\d+)?(?::([a-z]+))?$/.exec(arg);
    if (!match || (match[2] === undefined && match[3] === undefined)) {
      throw new PlatError(
        'invalid_params',
        `${JSON.stringify(arg)} is not TYPE=QUANTITY[:SIZE], e.g. web=2 or worker=1:basic.`,
      );
    }
    return {
      type: match[1]!,
      ...(match[2] !== undefined ? { quantity: Number(match[2]) } : {}),
      ...(match[3] ? { size: match[3] } : {}),
    };
  });
}

export async function scale(
  args: string[],
  options: { app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const updates = parseScale(args);
  const name = await resolveApp(context, options.app);
  const formation = await withProgress(
    context,
    `Scaling dynos on ${name}`,
    () => context.client().formation.update(name, updates),
    (result) =>
      `done, now running ${result
        .filter((f) => updates.some((u) => u.type === f.type))
        .map((f) => `${f.type} at ${f.quantity}:${f.size}`)
        .join(', ')}`,
  );
  emit(context.output, options.json, formation, () => []);
}

export async function showFormation(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const formation = await context.client().formation.list(name);
  emit(context.output, options.json, formation, () => [
    formation.map((f) => `${f.type}=${f.quantity}:${f.size}`).join(' '),
  ]);
}
