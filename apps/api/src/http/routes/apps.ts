import type { FastifyPluginAsync } from 'fastify';
import { appForUser } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { appsOf, createApp, presentApp } from '../../services/apps.js';

const appParams = {
  type: 'object',
  required: ['app'],
  properties: { app: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

export const appRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  app.post(
    '/v1/apps',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 100 } },
        },
      },
    },
    async (request, reply) => {
      const { name } = (request.body ?? {}) as { name?: string };
      const created = await createApp(platform, request.user!, name);
      return reply.code(201).send(presentApp(platform, created, request.headers.host ?? ''));
    },
  );

  app.get('/v1/apps', async (request) => {
    const apps = await appsOf(platform, request.user!);
    return apps.map((row) => presentApp(platform, row, request.headers.host ?? ''));
  });

  app.get('/v1/apps/:app', { schema: { params: appParams } }, async (request) => {
    const { app: name } = request.params as { app: string };
    return presentApp(platform, await appForUser(platform.sql, request.user!, name), request.headers.host ?? '');
  });
};
