import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { Type } from '@sinclair/typebox';
import { appForUser } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { appsOf, createApp, destroyApp, presentApp, renameAppTo, setAppBuildpack, setAppMaintenance } from '../../services/apps.js';
import { App, AppCreate, AppDestroyQuery, AppParams, AppUpdate, errors } from '../schemas.js';

export const appRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const host = (headers: { host?: string }) => headers.host ?? `127.0.0.1:${platform.settings.apiPort}`;

  app.post(
    '/v1/apps',
    { schema: { tags: ['apps'], summary: 'Create an app', body: AppCreate, response: { 201: App, ...errors(403, 409, 422) } } },
    async (request, reply) => {
      const { name } = (request.body ?? {}) as Static<typeof AppCreate>;
      const created = await createApp(platform, request.user!, name);
      return reply.code(201).send(presentApp(platform, created, host(request.headers)));
    },
  );

  app.get('/v1/apps', { schema: { tags: ['apps'], summary: 'List your apps', response: { 200: Type.Array(App) } } }, async (request) => {
    const apps = await appsOf(platform, request.user!);
    return apps.map((row) => presentApp(platform, row, host(request.headers)));
  });

  app.get(
    '/v1/apps/:app',
    { schema: { tags: ['apps'], summary: 'App info', params: AppParams, response: { 200: App, ...errors(403, 404) } } },
    async (request) => {
      const { app: name } = request.params as Static<typeof AppParams>;
      return presentApp(platform, await appForUser(platform.sql, request.user!, name), host(request.headers));
    },
  );

  app.patch(
    '/v1/apps/:app',
    {
      schema: { tags: ['apps'], summary: 'Rename an app, switch maintenance mode, or choose its buildpack', params: AppParams, body: AppUpdate, response: { 200: App, ...errors(403, 404, 409, 422) } },
    },
    async (request) => {
      const { app: name } = request.params as Static<typeof AppParams>;
      const body = request.body as Static<typeof AppUpdate>;
      let row = await appForUser(platform.sql, request.user!, name, body.name === undefined ? 'collaborator' : 'owner');
      if (body.maintenance !== undefined) row = await setAppMaintenance(platform, row, request.user!, body.maintenance);
      if (body.buildpack !== undefined) row = await setAppBuildpack(platform, row, request.user!, body.buildpack);
      if (body.name !== undefined) row = await renameAppTo(platform, row, request.user!, body.name);
      return presentApp(platform, row, host(request.headers));
    },
  );

  app.delete(
    '/v1/apps/:app',
    {
      schema: {
        tags: ['apps'],
        summary: 'Destroy an app, with its dynos, images, repository and add-ons',
        description: 'Requires ?confirm=<app name>.',
        params: AppParams,
        querystring: AppDestroyQuery,
        response: { 204: Type.Null(), ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      const { app: name } = request.params as Static<typeof AppParams>;
      const { confirm } = request.query as Static<typeof AppDestroyQuery>;
      const row = await appForUser(platform.sql, request.user!, name, 'owner', { destroying: true });
      await destroyApp(platform, row, request.user!, confirm);
      return reply.code(204).send();
    },
  );
};
