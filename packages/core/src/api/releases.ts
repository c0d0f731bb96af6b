import { Type } from '@sinclair/typebox';
import { AppNameParam, TimestampSchema } from './common.js';

/** Builds (what a push made) and releases (what runs). */

const Outcome = Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]);

/** Seconds per phase of a deploy, e.g. { "build": 0.31, "start": 0.22 }. */
export const PhaseTimingsSchema = Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()], {
  description: 'Seconds per phase: builds receive, archive, detect, build; releases release, start, ready, route',
});

export const BuildSchema = Type.Object({
  id: Type.String(),
  status: Outcome,
  source_commit: Type.String(),
  buildpack: Type.Union([Type.String(), Type.Null()]),
  image: Type.Union([Type.String(), Type.Null()]),
  process_types: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  timings: Type.Optional(PhaseTimingsSchema),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
});
export const BuildWithOutputSchema = Type.Composite([BuildSchema, Type.Object({ output: Type.String() })]);
export const BuildParamsSchema = Type.Object({ app: AppNameParam, build: Type.String({ maxLength: 64 }) });

export const ReleaseSchema = Type.Object({
  id: Type.String(),
  app: Type.String(),
  version: Type.Integer(),
  description: Type.String(),
  status: Outcome,
  image: Type.Union([Type.String(), Type.Null()]),
  process_types: Type.Record(Type.String(), Type.String()),
  current: Type.Boolean(),
  timings: Type.Optional(PhaseTimingsSchema),
  created_at: TimestampSchema,
});
export const ReleaseParamsSchema = Type.Object({ app: AppNameParam, release: Type.String({ maxLength: 64 }) });

export const RollbackSchema = Type.Object(
  {
    release: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ maxLength: 64 })], {
      description: 'Version (3 or "v3") or release id',
    }),
  },
  { additionalProperties: false },
);
