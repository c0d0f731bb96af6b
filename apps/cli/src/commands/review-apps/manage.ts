import { PlatError } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { parseDuration } from '../../duration.js';
import { emit } from '../../output.js';
import { ago, table } from '../../present.js';
import { withProgress } from '../../progress.js';

/** --pipeline, else the pipeline of --app / the git remote's app. */
async function pipelineOf(options: { pipeline?: string; app?: string }, context: CommandContext): Promise<string> {
  if (options.pipeline) return options.pipeline;
  return (await context.client().pipelines.of(await resolveApp(context, options.app))).pipeline;
}

export async function listReviewApps(
  options: { pipeline?: string; app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const pipeline = await pipelineOf(options, context);
  const apps = await context.client().reviewApps.list(pipeline);
  emit(context.output, options.json, apps, () =>
    apps.length === 0
      ? [`No review apps in ${pipeline}. Make one: plat review-apps:create BRANCH --pipeline ${pipeline}`]
      : table(
          ['App', 'Branch', 'Commit', 'Expires', 'Created'],
          apps.map((a) => [a.app, a.branch, a.commit.slice(0, 7), a.expires_at ?? 'never', ago(a.created_at)]),
        ),
  );
}

export async function createReviewApp(
  branch: string,
  options: { pipeline?: string; app?: string; ttl?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  if (!options.pipeline && !options.app)
    throw new PlatError('invalid_params', 'Say which pipeline: --pipeline NAME (or -a with one of its apps).');
  const pipeline = await pipelineOf(options, context);
  const ttl = options.ttl === undefined ? undefined : parseDuration(options.ttl);
  const review = await withProgress(
    context,
    `Creating a review app of ${branch} in ${pipeline}`,
    () =>
      context.client().reviewApps.create(pipeline, {
        branch,
        ...(ttl === undefined ? {} : { ttl_seconds: ttl }),
        ...(options.app ? { app: options.app } : {}),
      }),
    (r) => `done, ${r.app}`,
  );
  emit(context.output, options.json, review, () => [
    `${review.app} runs ${branch} (${review.commit.slice(0, 7)}) at ${review.web_url}`,
    `It is destroyed ${review.expires_at ? `at ${review.expires_at}` : 'on request'}.`,
  ]);
}

export async function destroyReviewApp(
  app: string,
  options: { pipeline?: string },
  context: CommandContext,
): Promise<void> {
  const pipeline = options.pipeline ?? (await context.client().pipelines.of(app)).pipeline;
  await withProgress(
    context,
    `Destroying the review app ${app}`,
    () => context.client().reviewApps.destroy(pipeline, app),
    () => 'done',
  );
}
