import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DiskReportSchema } from '@plat/core';
import { requireAdmin } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { diskReport } from '../../services/disk.js';
import { appsOf } from '../../services/apps.js';
import { errors } from '../error-responses.js';

/** `plat admin:disk`: what Plat holds on disk per app, for admins only. */
export const adminDiskRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/admin/disk',
    {
      schema: {
        tags: ['admin'],
        summary: 'Disk held per app: images, volumes, repo, backups, logs; totals and free space (admins only)',
        response: { 200: DiskReportSchema, ...errors(403) },
      },
    },
    async (request) => {
      requireAdmin(request.user!);
      return diskReport(platform, await appsOf(platform, request.user!));
    },
  );
};
