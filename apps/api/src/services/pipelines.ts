import { checkAppName, PlatError, type Pipeline, type Stage } from '@plat/core';
import { appForUser } from '../auth/access.js';
import type { Platform } from '../platform.js';
import { checkStage } from '../pipelines/promotion-plan.js';
import type { AppRow } from '../store/apps.js';
import {
  canSeePipeline,
  couplingOf,
  coupleApp,
  findPipeline,
  insertPipeline,
  listPipelinesFor,
  pipelineApps,
  uncoupleApp,
  type PipelineRow,
} from '../store/pipelines.js';
import type { User } from '../store/users.js';
import { audit } from './audit.js';

/**
 * Pipelines group the apps of one codebase by stage (review, development,
 * staging, production). Anyone who may use one of its apps sees a pipeline;
 * adding an app needs access to that app too. An app is in one pipeline at
 * most, and leaves it when destroyed.
 */

/** The pipeline, when the user may see it; a pipeline they may not see is not_found, as if it were not there. */
export async function pipelineForUser(platform: Platform, user: User, name: string): Promise<PipelineRow> {
  const pipeline = await findPipeline(platform.sql, name);
  if (!pipeline || !(await canSeePipeline(platform.sql, pipeline.id, user)))
    throw new PlatError('not_found', `Couldn't find that pipeline: ${name}`);
  return pipeline;
}

export async function presentPipeline(platform: Platform, pipeline: PipelineRow): Promise<Pipeline> {
  const apps = await pipelineApps(platform.sql, pipeline.id);
  return {
    id: pipeline.id,
    name: pipeline.name,
    owner: pipeline.owner_email,
    apps: apps.map((app) => ({
      app: app.app_name,
      stage: app.stage,
      release: app.release_version,
      commit: app.commit,
    })),
    created_at: pipeline.created_at.toISOString(),
  };
}

export function checkPipelineName(name: string): string {
  try {
    return checkAppName(name);
  } catch {
    throw new PlatError(
      'invalid_params',
      `Invalid pipeline name ${JSON.stringify(name.slice(0, 40))}: use 2 to 30 lowercase letters, digits and ` +
        'dashes, starting with a letter.',
    );
  }
}

export async function createPipeline(
  platform: Platform,
  user: User,
  request: { name: string; app: string; stage: Stage },
): Promise<PipelineRow> {
  const name = checkPipelineName(request.name);
  const stage = checkStage(request.stage);
  const app = await appForUser(platform.sql, user, request.app);
  const made = await insertPipeline(platform.sql, { name, ownerId: user.id, appId: app.id, stage });
  if (made.taken === 'name') throw new PlatError('conflict', `The pipeline name ${name} is already taken.`);
  if (made.taken === 'app') throw await alreadyCoupled(platform, app);
  await audit(platform, app, user, 'pipeline.create', { pipeline: name, stage });
  return made.pipeline!;
}

async function alreadyCoupled(platform: Platform, app: AppRow): Promise<PlatError> {
  const coupling = await couplingOf(platform.sql, app.id);
  return new PlatError(
    'conflict',
    `${app.name} is already in the pipeline ${coupling?.pipeline.name ?? '(another)'}` +
      (coupling ? ` (${coupling.stage}): remove it first with plat pipelines:remove -a ${app.name}.` : '.'),
  );
}

export async function addPipelineApp(
  platform: Platform,
  user: User,
  pipeline: PipelineRow,
  request: { app: string; stage: Stage },
): Promise<void> {
  const stage = checkStage(request.stage);
  // A member may not put an app of theirs downstream: a promotion would hand it the pipeline's code.
  if (pipeline.owner_id !== user.id && !user.admin)
    throw new PlatError(
      'forbidden',
      `Only the owner of the pipeline ${pipeline.name} (${pipeline.owner_email}) can add apps to it.`,
    );
  const app = await appForUser(platform.sql, user, request.app);
  if (!(await coupleApp(platform.sql, pipeline.id, app.id, stage))) throw await alreadyCoupled(platform, app);
  await audit(platform, app, user, 'pipeline.add', { pipeline: pipeline.name, stage });
}

export async function removePipelineApp(
  platform: Platform,
  user: User,
  pipeline: PipelineRow,
  app: AppRow,
): Promise<void> {
  if (!(await uncoupleApp(platform.sql, pipeline.id, app.id)))
    throw new PlatError('not_found', `${app.name} is not in the pipeline ${pipeline.name}.`);
  await audit(platform, app, user, 'pipeline.remove', { pipeline: pipeline.name });
}

export function pipelinesOf(platform: Platform, user: User): Promise<PipelineRow[]> {
  return listPipelinesFor(platform.sql, user);
}

/** The pipeline the app is in, or not_found naming the command that adds it. */
export async function appCoupling(platform: Platform, app: AppRow): Promise<{ pipeline: PipelineRow; stage: Stage }> {
  const coupling = await couplingOf(platform.sql, app.id);
  if (!coupling)
    throw new PlatError(
      'not_found',
      `${app.name} is not in a pipeline: plat pipelines:create NAME -a ${app.name} --stage staging, ` +
        `or plat pipelines:add PIPELINE -a ${app.name} --stage STAGE.`,
    );
  return coupling;
}
