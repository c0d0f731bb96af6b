import type { Pipeline, Stage } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { header, table } from '../../present.js';

/** The apps of a pipeline by stage, with the release each runs and its commit. */
function pipelineLines(pipeline: Pipeline, context: CommandContext): string[] {
  return [
    header(`${pipeline.name} (owner ${pipeline.owner})`, context.output.colors),
    ...(pipeline.apps.length === 0
      ? [`No apps yet: plat pipelines:add ${pipeline.name} -a APP --stage staging`]
      : table(
          ['App', 'Stage', 'Release', 'Commit'],
          pipeline.apps.map((app) => [
            app.app,
            app.stage,
            app.release === null ? '-' : `v${app.release}`,
            app.commit?.slice(0, 7) ?? '-',
          ]),
        )),
  ];
}

export async function listPipelines(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const pipelines = await context.client().pipelines.list();
  emit(context.output, options.json, pipelines, () =>
    pipelines.length === 0
      ? ['No pipelines. Make one: plat pipelines:create NAME -a APP --stage staging']
      : table(
          ['Pipeline', 'Owner', 'Apps'],
          pipelines.map((p) => [p.name, p.owner, p.apps.map((a) => `${a.app} (${a.stage})`).join(', ')]),
        ),
  );
}

export async function createPipeline(
  name: string,
  options: { app?: string; stage?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const app = await resolveApp(context, options.app);
  const pipeline = await context.client().pipelines.create({ name, app, stage: (options.stage ?? 'staging') as Stage });
  emit(context.output, options.json, pipeline, () => [
    `Created the pipeline ${pipeline.name} with ${app} in ${options.stage ?? 'staging'}.`,
  ]);
}

export async function addToPipeline(
  name: string,
  options: { app?: string; stage?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const app = await resolveApp(context, options.app);
  const stage = (options.stage ?? 'staging') as Stage;
  const pipeline = await context.client().pipelines.addApp(name, app, stage);
  emit(context.output, options.json, pipeline, () => [`Added ${app} to ${pipeline.name} in ${stage}.`]);
}

export async function removeFromPipeline(options: { app?: string }, context: CommandContext): Promise<void> {
  const app = await resolveApp(context, options.app);
  const client = context.client();
  const { pipeline } = await client.pipelines.of(app);
  await client.pipelines.removeApp(pipeline, app);
  context.output.out(`Removed ${app} from ${pipeline}.`);
}

/** pipelines:info NAME, or the pipeline of --app / the git remote's app. */
export async function pipelineInfo(
  name: string | undefined,
  options: { app?: string; json?: boolean },
  context: CommandContext,
): Promise<void> {
  const client = context.client();
  const pipelineName = name ?? (await client.pipelines.of(await resolveApp(context, options.app))).pipeline;
  const pipeline = await client.pipelines.get(pipelineName);
  emit(context.output, options.json, pipeline, () => pipelineLines(pipeline, context));
}
