import { type Static, Type } from '@sinclair/typebox';
import { TimestampSchema } from './common.js';

/**
 * Backups kept off the server (admins only): `plat backups:target:set`,
 * `backups:target`, `backups:target:unset`, `backups:target:retry`. One
 * restic repository per Plat, over sftp or at a local path.
 */

const Keep = (maximum: number, description: string) => Type.Integer({ minimum: 0, maximum, description });

export const BackupTargetSetSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 1200,
      description: 'sftp:user@host:/path, sftp://user@host:port/path, or an absolute local path',
    }),
    password: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1024,
        pattern: '^[^\\x00-\\x1f\\x7f]+$',
        description: "An existing repository's password: it is opened, not made. Without it Plat makes one.",
      }),
    ),
    keep_daily: Type.Optional(Keep(3650, 'daily snapshots kept per add-on (default 7)')),
    keep_weekly: Type.Optional(Keep(520, 'weekly snapshots kept per add-on (default 4)')),
    keep_monthly: Type.Optional(Keep(1200, 'monthly snapshots kept per add-on (default 0)')),
  },
  { additionalProperties: false },
);

export const BackupTargetSchema = Type.Object({
  url: Type.String(),
  keep_daily: Type.Integer(),
  keep_weekly: Type.Integer(),
  keep_monthly: Type.Integer(),
  created_at: TimestampSchema,
  uploads: Type.Object({
    /** Backups on the target now. */
    uploaded: Type.Integer(),
    /** Backups that were on the target until its retention policy removed them. */
    expired: Type.Integer(),
    pending: Type.Integer(),
    failed: Type.Integer(),
    last_uploaded_at: Type.Union([TimestampSchema, Type.Null()]),
    /** The newest backup whose upload failed. */
    last_failure: Type.Union([
      Type.Object({ app: Type.String(), backup: Type.String(), reason: Type.String() }),
      Type.Null(),
    ]),
  }),
});

export const BackupTargetInfoSchema = Type.Object({
  target: Type.Union([BackupTargetSchema, Type.Null()]),
  /** platd's key for sftp targets: a line for the target's authorized_keys. */
  ssh_public_key: Type.String(),
});

export const BackupTargetSetResultSchema = Type.Object({
  target: BackupTargetSchema,
  /** The password of a repository Plat made: shown this once. Null when one was given. */
  password: Type.Union([Type.String(), Type.Null()]),
  ssh_public_key: Type.String(),
});

export const BackupTargetUnsetResultSchema = Type.Object({
  url: Type.String(),
  /** Backups whose local file is gone: they were only on the target, which Plat no longer reaches. */
  only_on_target: Type.Integer(),
});

export const BackupUploadsRetrySchema = Type.Object({ queued: Type.Integer() });

export type BackupTargetSet = Static<typeof BackupTargetSetSchema>;
export type BackupTarget = Static<typeof BackupTargetSchema>;
export type BackupTargetInfo = Static<typeof BackupTargetInfoSchema>;
export type BackupTargetSetResult = Static<typeof BackupTargetSetResultSchema>;
export type BackupTargetUnsetResult = Static<typeof BackupTargetUnsetResultSchema>;
export type BackupUploadsRetry = Static<typeof BackupUploadsRetrySchema>;
