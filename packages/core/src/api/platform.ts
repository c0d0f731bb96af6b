import { Type } from '@sinclair/typebox';

/** The platform itself: its health, and (for admins) its disk and state. */

export const PlatformStatusSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  checks: Type.Record(Type.String(), Type.Object({ ok: Type.Boolean(), detail: Type.String() })),
});

const Counted = Type.Object({ count: Type.Integer(), bytes: Type.Integer() });

export const DiskReportSchema = Type.Object({
  apps: Type.Array(
    Type.Object({
      app: Type.String(),
      id: Type.String(),
      images: Counted,
      volumes: Counted,
      containers: Counted,
      repo_bytes: Type.Integer(),
      backups: Counted,
      logs_bytes: Type.Integer(),
      total_bytes: Type.Integer(),
    }),
  ),
  build_cache: Type.Object({ bytes: Type.Integer(), budget_bytes: Type.Integer() }),
  totals: Type.Object({
    bytes: Type.Integer(),
    images_bytes: Type.Integer(),
    volumes_bytes: Type.Integer(),
    repos_bytes: Type.Integer(),
    backups_bytes: Type.Integer(),
    logs_bytes: Type.Integer(),
  }),
  data_dir: Type.Object({ path: Type.String(), free_bytes: Type.Integer(), size_bytes: Type.Integer() }),
});

export const StateRestoredSchema = Type.Object({
  apps: Type.Integer(),
  backup: Type.Object({ instance: Type.String(), created_at: Type.String(), migrations: Type.Array(Type.String()) }),
});
