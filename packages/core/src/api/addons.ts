import { Type } from '@sinclair/typebox';
import { AppNameParam, TimestampSchema } from './common.js';

/** Add-ons, and what the postgres and scheduler add-ons add: backups and jobs. */

export const AddonServiceInfoSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  default_plan: Type.String(),
  config_var: Type.String(),
  plans: Type.Array(
    Type.Object({
      name: Type.String(),
      description: Type.String(),
      persistent: Type.Boolean(),
      memoryMb: Type.Number(),
    }),
  ),
});

export const AddonSchema = Type.Object({
  name: Type.String(),
  provider: Type.String(),
  plan: Type.String(),
  config_var: Type.String(),
  state: Type.String({ description: 'available, starting, stopped or missing' }),
  created_at: TimestampSchema,
});
export const AddonCreateSchema = Type.Object(
  {
    plan: Type.String({ pattern: '^[a-z]+(:[a-z]+)?$', description: 'provider or provider:plan, e.g. postgres:hobby' }),
    as: Type.Optional(
      Type.String({ maxLength: 40, description: 'Attachment name: ANALYTICS_DATABASE sets ANALYTICS_DATABASE_URL' }),
    ),
  },
  { additionalProperties: false },
);
export const AddonParamsSchema = Type.Object({ app: AppNameParam, addon: Type.String({ maxLength: 100 }) });
export const AddonDestroyQuerySchema = Type.Object({ confirm: Type.Optional(Type.String({ maxLength: 100 })) });

export const PgInfoSchema = Type.Record(Type.String(), Type.String());
export const PgAddonQuerySchema = Type.Object({ addon: Type.Optional(Type.String({ maxLength: 100 })) });
export const PgBackupSchema = Type.Object({
  id: Type.String(),
  addon: Type.String(),
  size_bytes: Type.Integer(),
  created_at: TimestampSchema,
});
export const PgBackupCaptureSchema = Type.Object(
  { addon: Type.Optional(Type.String({ maxLength: 100 })) },
  { additionalProperties: false },
);
export const PgBackupParamsSchema = Type.Object({
  app: AppNameParam,
  backup: Type.String({ pattern: '^b?\\d{1,6}$' }),
});
export const PgRestoreSchema = Type.Object(
  { addon: Type.Optional(Type.String({ maxLength: 100 })), confirm: Type.Optional(Type.String({ maxLength: 100 })) },
  { additionalProperties: false },
);
export const PgBackupScheduleSetSchema = Type.Object(
  { addon: Type.Optional(Type.String({ maxLength: 100 })), hour: Type.Integer({ minimum: 0, maximum: 23 }) },
  { additionalProperties: false },
);
export const PgBackupScheduleSchema = Type.Object({ addon: Type.String(), schedule: Type.String() });

export const JobSchema = Type.Object({
  id: Type.String(),
  schedule: Type.String(),
  command: Type.String(),
  next_run_at: TimestampSchema,
  last_run_at: Type.Union([TimestampSchema, Type.Null()]),
  last_exit_code: Type.Union([Type.Integer(), Type.Null()]),
  running: Type.Boolean(),
});
export const JobCreateSchema = Type.Object(
  {
    schedule: Type.String({ minLength: 9, maxLength: 100, description: 'cron: "*/10 * * * *" (UTC)' }),
    command: Type.String({ minLength: 1, maxLength: 10_000 }),
  },
  { additionalProperties: false },
);
export const JobParamsSchema = Type.Object({ app: AppNameParam, job: Type.String({ maxLength: 64 }) });
