import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EXPORT_BYTES_HEADER, PlatImportedSchema } from '@plat/core';
import { requireAdmin } from '../../auth/access.js';
import { exportPlat } from '../../moving/export.js';
import { importPlat } from '../../moving/import.js';
import type { Platform } from '../../platform.js';
import { errors } from '../error-responses.js';

/** `plat admin:export` and `admin:import`: a whole Plat as one archive, for admins only. */
export const adminExportRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  // The archive arrives as a stream: moving/staging.ts bounds and checks it.
  app.addContentTypeParser('application/vnd.plat.export+tar', (_request, payload, done) => done(null, payload));

  app.get(
    '/v1/admin/export',
    {
      schema: {
        tags: ['admin'],
        summary:
          'The whole Plat as one tar: state, git repositories, release images, add-on data, ' +
          'certificates, keys and settings, with a manifest of checksums last (admins only)',
        response: errors(403, 503),
      },
    },
    async (request, reply) => {
      requireAdmin(request.user!);
      const { header, archive, estimate } = await exportPlat(platform);
      const name = `plat-export-${header.instance}-${header.created_at.replace(/[:.]/g, '-')}.tar`;
      return (
        reply
          .type('application/x-tar')
          .header('content-disposition', `attachment; filename="${name}"`)
          // At least this many bytes: the CLI checks its disk before it writes one (moving/export-room.ts).
          .header(EXPORT_BYTES_HEADER, String(estimate.archiveBytes))
          .send(archive)
      );
    },
  );

  app.post(
    '/v1/admin/import',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Imports an archive of plat admin:export (application/vnd.plat.export+tar) into a Plat with no apps: ' +
          'verified first, applied whole or not at all; its tokens work from then on (admins only)',
        response: { 200: PlatImportedSchema, ...errors(403, 409, 413, 422, 503) },
      },
    },
    async (request) => {
      requireAdmin(request.user!);
      const length = Number(request.headers['content-length']);
      return importPlat(platform, request.body as Readable, {
        ...(Number.isSafeInteger(length) && length >= 0 ? { declaredBytes: length } : {}),
      });
    },
  );
};
