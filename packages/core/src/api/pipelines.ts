import { Type } from '@sinclair/typebox';
import { APP_NAME_PATTERN } from '../app-name.js';
import { AppNameParam, TimestampSchema } from './common.js';

/** Pipelines (apps of one codebase in stages), promotions between them, and review apps. */

export const StageSchema = Type.Union(
  [Type.Literal('review'), Type.Literal('development'), Type.Literal('staging'), Type.Literal('production')],
  { description: 'A pipeline stage, in promotion order' },
);

/** A pipeline's name: the same rules as an app's. */
const PipelineName = Type.String({ maxLength: 100, description: `Pattern ${APP_NAME_PATTERN.source}` });
export const PipelineParamsSchema = Type.Object({ pipeline: PipelineName });
export const PipelineAppParamsSchema = Type.Object({ pipeline: PipelineName, app: AppNameParam });

export const PipelineCreateSchema = Type.Object(
  { name: PipelineName, app: AppNameParam, stage: StageSchema },
  { additionalProperties: false },
);

export const PipelineCouplingCreateSchema = Type.Object(
  { app: AppNameParam, stage: StageSchema },
  { additionalProperties: false },
);

export const PipelineAppSchema = Type.Object({
  app: Type.String(),
  stage: StageSchema,
  /** The current release's version, and the commit its image was built from. */
  release: Type.Union([Type.Integer(), Type.Null()]),
  commit: Type.Union([Type.String(), Type.Null()]),
});

export const PipelineSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  owner: Type.String(),
  apps: Type.Array(PipelineAppSchema),
  created_at: TimestampSchema,
});

/** The pipeline an app is in, and its stage there. */
export const AppPipelineSchema = Type.Object({ pipeline: Type.String(), stage: StageSchema });

export const PromotionCreateSchema = Type.Object(
  {
    to: Type.Optional(
      Type.Array(AppNameParam, {
        maxItems: 20,
        description: 'Downstream apps to release to; every app of the next stage when omitted',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PromotionSchema = Type.Object({
  source: Type.Object({ app: Type.String(), release: Type.Integer(), image: Type.String() }),
  targets: Type.Array(
    Type.Object({
      app: Type.String(),
      status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
      release: Type.Union([Type.Integer(), Type.Null()]),
      message: Type.String(),
    }),
  ),
});

const CommitSchema = Type.Object({ sha: Type.String(), subject: Type.String() });

export const PipelineDiffSchema = Type.Object({
  app: Type.String(),
  stage: StageSchema,
  commit: Type.Union([Type.String(), Type.Null()]),
  targets: Type.Array(
    Type.Object({
      app: Type.String(),
      stage: StageSchema,
      commit: Type.Union([Type.String(), Type.Null()]),
      /** False when the commits cannot be compared (no release yet, unrelated histories); message says why. */
      comparable: Type.Boolean(),
      /** Commits the source has that the target does not run, newest first (at most 100). */
      ahead: Type.Array(CommitSchema),
      /** Commits the target runs that the source does not have (a hotfix downstream). */
      behind: Type.Array(CommitSchema),
      message: Type.String(),
    }),
  ),
});

export const ReviewAppCreateSchema = Type.Object(
  {
    branch: Type.String({ minLength: 1, maxLength: 200, description: "A branch of the staging app's repository" }),
    ttl_seconds: Type.Optional(
      Type.Integer({ minimum: 60, maximum: 30 * 86_400, description: 'Destroyed after this long (default 5 days)' }),
    ),
    app: Type.Optional(
      Type.String({ maxLength: 100, description: 'The staging app to build from, when the pipeline has several' }),
    ),
  },
  { additionalProperties: false },
);

export const ReviewAppSchema = Type.Object({
  app: Type.String(),
  pipeline: Type.String(),
  source_app: Type.Union([Type.String(), Type.Null()]),
  branch: Type.String(),
  commit: Type.String(),
  web_url: Type.String(),
  expires_at: Type.Union([TimestampSchema, Type.Null()]),
  created_at: TimestampSchema,
});
