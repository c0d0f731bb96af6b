import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import { requireAdmin } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { diskReport } from '../../services/disk.js';
import { appsOf } from '../../services/apps.js';
import { errors } from '../schemas.js';

const Counted = Type.Object({ count: Type.Integer(), bytes: Type.Integer() });

const DiskReport = Type.Object(
  {
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
  },
);

/** `plat admin:disk`: what Plat holds on disk per app, for admins only. */
export const adminDiskRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/admin/disk',
    { schema: { tags: ['admin'], summary: 'Disk held per app: images, volumes, repo, backups, logs; totals and free space (admins only)', response: { 200: DiskReport, ...errors(403) } } },
    async (request) => {
      requireAdmin(request.user!);
      return diskReport(platform, await appsOf(platform, request.user!));
    },
  );
};
