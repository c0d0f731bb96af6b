import { Type } from '@sinclair/typebox';
import { AppNameParam, TimestampSchema } from './common.js';

/** Formation (what should run), dynos (what runs), one-offs, and their logs. */

export const ProcessTypeSchema = Type.String({ pattern: '^[A-Za-z0-9_-]{1,30}$' });

export const FormationEntrySchema = Type.Object({
  type: Type.String(),
  quantity: Type.Integer(),
  size: Type.String(),
  command: Type.Union([Type.String(), Type.Null()]),
});
export const FormationUpdateSchema = Type.Object(
  {
    type: ProcessTypeSchema,
    quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    size: Type.Optional(Type.String({ maxLength: 30 })),
  },
  { additionalProperties: false },
);
export const FormationBatchSchema = Type.Union([
  Type.Array(FormationUpdateSchema, { minItems: 1, maxItems: 50 }),
  Type.Object(
    { updates: Type.Array(FormationUpdateSchema, { minItems: 1, maxItems: 50 }) },
    { additionalProperties: false },
  ),
]);

export const DynoSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  state: Type.Union([Type.Literal('up'), Type.Literal('starting'), Type.Literal('crashed'), Type.Literal('sleeping')]),
  restarts: Type.Integer({ description: 'Crash restarts since it last stayed up 10 minutes' }),
  release: Type.Integer(),
  command: Type.String(),
  exit_code: Type.Union([Type.Integer(), Type.Null()]),
  created_at: TimestampSchema,
  /** An eco app's web dyno asleep (no container): since when; the next request wakes it. */
  sleeping_since: Type.Optional(TimestampSchema),
  /** PLAT_RUNTIME=swarm: the hostname of the node its task runs on. */
  node: Type.Optional(Type.String()),
});
export const DynoParamsSchema = Type.Object({
  app: AppNameParam,
  dyno: Type.String({ pattern: '^[A-Za-z0-9_-]{1,30}(\\.\\d{1,4})?$' }),
});

export const OneOffCreateSchema = Type.Object(
  { command: Type.String({ minLength: 1, maxLength: 10_000 }) },
  { additionalProperties: false },
);
export const DetachedRunSchema = Type.Object({ name: Type.String(), command: Type.String() });

/**
 * `plat run`'s attached session: GET /v1/apps/:app/dynos/attach with `Upgrade: plat-attach`.
 * Query values are strings; platd checks them itself (the upgrade never reaches a route).
 */
export const AttachQuerySchema = Type.Object({
  command: Type.String({ minLength: 1, maxLength: 10_000, description: 'The command line to run' }),
  tty: Type.Optional(Type.Literal('1', { description: '1: allocate a terminal' })),
  cols: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: "The terminal's width, with tty=1" })),
  rows: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: "The terminal's height, with tty=1" })),
});
/** `plat pg:psql`: GET /v1/apps/:app/pg/psql with `Upgrade: plat-attach`. */
export const PsqlQuerySchema = Type.Object({
  addon: Type.Optional(Type.String({ maxLength: 100, description: 'Which postgres add-on, when the app has several' })),
  tty: Type.Optional(Type.Literal('1', { description: '1: allocate a terminal' })),
  cols: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: "The terminal's width, with tty=1" })),
  rows: Type.Optional(Type.String({ pattern: '^[0-9]+$', description: "The terminal's height, with tty=1" })),
});

export const LogQuerySchema = Type.Object({
  lines: Type.Optional(
    Type.String({
      pattern: '^([1-9][0-9]{0,3}|10000)$',
      description: 'How many recent lines, 1 to 10000 (default 100)',
    }),
  ),
  source: Type.Optional(
    Type.Union([Type.Literal('app'), Type.Literal('router'), Type.Literal('build'), Type.Literal('plat')]),
  ),
  dyno: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,30}(\\.\\d{1,5})?$', description: 'web, or web.1' })),
  tail: Type.Optional(
    Type.Union([Type.Literal('true'), Type.Literal('false')], {
      description: 'Keep the response open and stream new lines',
    }),
  ),
});
