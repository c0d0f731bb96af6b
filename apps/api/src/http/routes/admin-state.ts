import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StateRestoredSchema } from '@plat/core';
import { requireAdmin } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { restoreState, stateBackup } from '../../services/state-backup.js';
import { errors } from '../error-responses.js';

/** `plat admin:backup` and `admin:restore`: the control plane's state, for admins only. */
export const adminStateRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  // The backup arrives as a tar stream: the service bounds and checks it.
  app.addContentTypeParser('application/x-tar', (_request, payload, done) => done(null, payload));

  app.get(
    '/v1/admin/backup',
    {
      schema: {
        tags: ['admin'],
        summary:
          'A tar of the state: manifest.json, a pg_dump of the state database (state.dump) ' +
          'and the admin token (admins only)',
        response: errors(403, 503),
      },
    },
    async (request, reply) => {
      requireAdmin(request.user!);
      const { manifest, archive } = await stateBackup(platform);
      const name = `plat-state-${manifest.created_at.replace(/[:.]/g, '-')}.tar`;
      return reply
        .type('application/x-tar')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(archive);
    },
  );

  app.post(
    '/v1/admin/restore',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Loads a state backup (application/x-tar) into a Plat with no apps; ' +
          'its tokens work from then on (admins only)',
        response: { 200: StateRestoredSchema, ...errors(403, 409, 413, 422, 503) },
      },
    },
    async (request) => {
      requireAdmin(request.user!);
      const { apps, manifest } = await restoreState(platform, request.body as Readable);
      const { instance, created_at, migrations } = manifest;
      return { apps, backup: { instance, created_at, migrations } };
    },
  );
};
