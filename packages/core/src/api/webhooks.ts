import { Type } from '@sinclair/typebox';
import { AppNameParam, TimestampSchema } from './common.js';

/** App webhooks (Heroku's, with Plat's `alert` events) and alerts. */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const UUID = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

const LevelSchema = Type.Union([Type.Literal('notify'), Type.Literal('sync')], {
  description: 'notify: one attempt; sync (the default): retried with backoff for up to 24 hours',
});
const IncludeSchema = Type.Array(Type.String({ minLength: 1, maxLength: 40 }), {
  minItems: 1,
  maxItems: 10,
  description: 'Event types: api:release, api:build, api:addon, api:formation, dyno, alert',
});

export const WebhookSchema = Type.Object({
  id: Type.String(),
  app: Type.Object({ id: Type.String(), name: Type.String() }),
  url: Type.String(),
  include: Type.Array(Type.String()),
  level: LevelSchema,
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
});

export const WebhookCreatedSchema = Type.Object({
  ...WebhookSchema.properties,
  secret: Nullable(
    Type.String({ description: 'The secret Plat made, shown only now; null when the request gave one' }),
  ),
});

const secretField = Type.String({
  minLength: 1,
  maxLength: 256,
  description: 'Signs each delivery: base64 HMAC-SHA256 of the body in Plat-Webhook-Hmac-SHA256',
});

export const WebhookCreateSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'http:// or https:// receiver' }),
    include: IncludeSchema,
    level: Type.Optional(LevelSchema),
    secret: Type.Optional(secretField),
  },
  { additionalProperties: false },
);

export const WebhookUpdateSchema = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    include: Type.Optional(IncludeSchema),
    level: Type.Optional(LevelSchema),
    secret: Type.Optional(secretField),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookParamsSchema = Type.Object({ app: AppNameParam, id: Type.String({ pattern: UUID }) });

export const WebhookDeliverySchema = Type.Object({
  id: Type.String(),
  webhook: Type.Object({ id: Type.String() }),
  event: Type.Object({ id: Type.String(), include: Type.String() }),
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('retrying'),
    Type.Literal('succeeded'),
    Type.Literal('failed'),
  ]),
  num_attempts: Type.Integer(),
  next_attempt_at: Nullable(TimestampSchema),
  last_attempt: Nullable(
    Type.Object({ code: Nullable(Type.Integer()), error: Nullable(Type.String()) }, { description: 'null: no answer' }),
  ),
  /** Each attempt's HTTP status, oldest first; null where the receiver gave none (timeout, refused). */
  codes: Type.Array(Nullable(Type.Integer())),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
});

export const WebhookDeliveriesQuerySchema = Type.Object({
  webhook: Type.Optional(Type.String({ pattern: UUID })),
  limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: '1 to 1000 (default 50)' })),
});

export const AlertSchema = Type.Object({
  id: Type.String(),
  /** null: the whole platform (the data dir's disk). */
  app: Nullable(Type.Object({ id: Type.String(), name: Type.String() })),
  kind: Type.String({ description: 'cert_expiring, cert_renewal_failing, backup_failed, crash_loop or disk_full' }),
  subject: Type.String({ description: 'What it is about: a hostname, an add-on, a dyno, the data dir' }),
  message: Type.String(),
  state: Type.Union([Type.Literal('open'), Type.Literal('resolved')]),
  opened_at: TimestampSchema,
  resolved_at: Nullable(TimestampSchema),
});

export const AlertsQuerySchema = Type.Object({
  all: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'also resolved ones' })),
});
