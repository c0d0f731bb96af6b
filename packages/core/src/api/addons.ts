import { type Static, Type } from '@sinclair/typebox';
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
  node: Type.Optional(
    Type.String({
      description:
        "PLAT_RUNTIME=swarm: the hostname of the swarm node that runs the add-on's container and keeps its data " +
        'volume, the manager platd runs on',
    }),
  ),
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
/** A backup's restore drill in a scratch server: pending until checked, then verified or failed. */
export const BackupVerificationSchema = Type.Object({
  state: Type.Union([Type.Literal('pending'), Type.Literal('verified'), Type.Literal('failed')]),
  checked_at: Type.Optional(TimestampSchema),
  duration_ms: Type.Optional(Type.Integer()),
  tables: Type.Optional(Type.Integer({ description: 'postgres: tables checked' })),
  rows: Type.Optional(Type.Integer({ description: 'postgres: rows checked, in all tables' })),
  keys: Type.Optional(Type.Integer({ description: 'redis: keys checked' })),
  not_compared: Type.Optional(
    Type.String({ description: 'redis: databases past the first, not compared, e.g. `db1 (5 keys)`' }),
  ),
  compared: Type.Optional(
    Type.Boolean({ description: 'false: no counts were recorded at capture (an older backup), only the restore ran' }),
  ),
  reason: Type.Optional(Type.String({ description: 'why it failed' })),
});
/** Its copy on the backup target (plat backups:target); null when no target was set when it was made. */
export const BackupUploadSchema = Type.Union([
  Type.Object({ state: Type.Literal('uploaded'), at: Type.String(), snapshot: Type.String() }),
  Type.Object({ state: Type.Literal('pending') }),
  Type.Object({
    state: Type.Literal('failed'),
    reason: Type.String(),
    attempts: Type.Integer(),
    next_attempt_at: Type.Union([TimestampSchema, Type.Null()]),
  }),
  Type.Object({ state: Type.Literal('expired'), reason: Type.String() }),
]);

/** One line for a listing: `uploaded 2026-11-29 10:00`, `upload failed: <reason>`, `upload pending`. Pure. */
export function backupUploadLabel(upload: Static<typeof BackupUploadSchema> | null | undefined): string {
  if (!upload) return '';
  switch (upload.state) {
    case 'uploaded':
      return `uploaded ${upload.at.slice(0, 16).replace('T', ' ')}`;
    case 'pending':
      return 'upload pending';
    case 'failed':
      return `upload failed: ${upload.reason}`;
    case 'expired':
      return 'expired on target';
  }
}

export const PgBackupSchema = Type.Object({
  id: Type.String(),
  addon: Type.String(),
  provider: Type.String({ description: 'postgres (pg_dump custom format) or redis (RDB snapshot)' }),
  size_bytes: Type.Integer(),
  created_at: TimestampSchema,
  verification: BackupVerificationSchema,
  /** Optional: platd from before backup targets does not send it. */
  upload: Type.Optional(Type.Union([BackupUploadSchema, Type.Null()])),
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
