import { PlatError } from '@plat/core';

/** Heroku's pipeline stages, in the order code moves through them. */
export const STAGES = ['review', 'development', 'staging', 'production'] as const;
export type Stage = (typeof STAGES)[number];

export function checkStage(value: unknown): Stage {
  if (typeof value === 'string' && (STAGES as readonly string[]).includes(value)) return value as Stage;
  throw new PlatError('invalid_params', `Invalid stage ${JSON.stringify(value)}: use one of ${STAGES.join(', ')}.`);
}

/**
 * Where a stage promotes to: development → staging → production. Review apps
 * are not promoted (their branch is merged and deployed upstream instead),
 * and production is the end of the line.
 */
export function nextStage(stage: Stage): Stage | undefined {
  if (stage === 'development') return 'staging';
  if (stage === 'staging') return 'production';
  return undefined;
}

export interface CoupledApp {
  name: string;
  stage: Stage;
}

/**
 * Which apps a promotion from `source` releases to: every app in the next
 * stage, or the ones named in `to`, each of which must be in the pipeline
 * in a later stage than the source (never review). Throws with the reason.
 */
export function planPromotion(input: {
  pipeline: string;
  source: CoupledApp;
  apps: CoupledApp[];
  to?: string[] | undefined;
}): string[] {
  const { pipeline, source, apps } = input;
  const next = nextStage(source.stage);
  if (!next) {
    const why =
      source.stage === 'review'
        ? 'review apps are not promoted: merge the branch and deploy it upstream'
        : `${source.stage} is the last stage`;
    throw new PlatError('invalid_params', `${source.name} cannot be promoted: ${why}.`);
  }
  const order = (stage: Stage) => STAGES.indexOf(stage);
  if (input.to && input.to.length > 0) {
    const targets = [...new Set(input.to)];
    for (const name of targets) {
      const app = apps.find((candidate) => candidate.name === name);
      if (!app) throw new PlatError('invalid_params', `${name} is not in the pipeline ${pipeline}.`);
      if (app.name === source.name) throw new PlatError('invalid_params', `${name} cannot be promoted to itself.`);
      if (order(app.stage) <= order(source.stage))
        throw new PlatError(
          'invalid_params',
          `${name} is in the ${app.stage} stage, not downstream of ${source.name} (${source.stage}).`,
        );
    }
    return targets;
  }
  const targets = apps.filter((app) => app.stage === next).map((app) => app.name);
  if (targets.length === 0)
    throw new PlatError(
      'invalid_params',
      `The pipeline ${pipeline} has no app in the ${next} stage: add one with ` +
        `plat pipelines:add ${pipeline} -a APP --stage ${next}.`,
    );
  return targets.sort();
}
