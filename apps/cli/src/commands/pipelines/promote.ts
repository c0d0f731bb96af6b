import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { header } from '../../present.js';
import { withProgress } from '../../progress.js';

/** Releases the app's current image to the next stage's apps (or --to), each with its own config. */
export async function promote(
  options: { app?: string; to?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const app = await resolveApp(context, options.app);
  const to = options.to
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const promotion = await withProgress(
    context,
    `Promoting ${app}`,
    () => context.client().pipelines.promote(app, to),
    (p) => `v${p.source.release} to ${p.targets.map((t) => t.app).join(', ')}`,
  );
  emit(context.output, options.json, promotion, () =>
    promotion.targets.map((target) =>
      target.status === 'succeeded'
        ? `${target.app}: released v${target.release} (${target.message})`
        : `${target.app}: failed: ${target.message}`,
    ),
  );
  const failed = promotion.targets.filter((target) => target.status === 'failed');
  if (failed.length > 0)
    throw new PlatError('release_failed', `Promotion failed for ${failed.map((target) => target.app).join(', ')}.`);
}

/** The commits the app's release has that the downstream apps do not run yet. */
export async function diff(options: { app?: string; json?: boolean }, context: CommandContext): Promise<void> {
  const app = await resolveApp(context, options.app);
  const result = await context.client().pipelines.diff(app);
  emit(context.output, options.json, result, () =>
    result.targets.length === 0
      ? [`${app} (${result.stage}) has no downstream apps to compare with.`]
      : result.targets.flatMap((target) => [
          header(`${app} → ${target.app} (${target.stage})`, context.output.colors),
          target.message,
          ...target.ahead.map((commit) => `  ${commit.sha.slice(0, 7)} ${commit.subject}`),
          ...(target.behind.length > 0
            ? [
                `${target.app} runs commits ${app} does not have:`,
                ...target.behind.map((commit) => `  ${commit.sha.slice(0, 7)} ${commit.subject}`),
              ]
            : []),
        ]),
  );
}
