import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppCreateSchema, AppDestroyQuerySchema, AppParamsSchema, AppSchema, AppUpdateSchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import {
  appsPageOf,
  createApp,
  destroyApp,
  presentApps,
  presentOneApp,
  renameAppTo,
  setAppBuildpack,
  setAppMaintenance,
} from '../../services/apps.js';
import { errors } from '../error-responses.js';
import { DEFAULT_PAGE, MAX_PAGE, nextRange, parseRange } from '../range.js';

const PAGE_HEADERS = {
  'Accept-Ranges': Type.String({ description: 'The fields a Range may name: `name`' }),
  'Content-Range': Type.String({ description: 'The first and last name on this page: `name a..z`' }),
};

export const appRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const host = (headers: { host?: string }) => headers.host ?? `127.0.0.1:${platform.settings.apiPort}`;

  app.post(
    '/v1/apps',
    {
      schema: {
        tags: ['apps'],
        summary: 'Create an app',
        body: AppCreateSchema,
        response: { 201: AppSchema, ...errors(403, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const created = await createApp(platform, request.user!, request.body.name);
      return reply.code(201).send(await presentOneApp(platform, created, host(request.headers)));
    },
  );

  app.get(
    '/v1/apps',
    {
      schema: {
        tags: ['apps'],
        summary: 'List your apps, a page at a time',
        description:
          `Paged by name as Heroku's Platform API is: \`Range: name ..; max=${DEFAULT_PAGE}\` (the default; ` +
          `max up to ${MAX_PAGE}; \`; order=desc\` for descending). 206 with \`Next-Range\` while more remain: ` +
          'send it back as the next Range; 200 on the last page. A malformed Range is 416.',
        headers: Type.Object({
          range: Type.Optional(
            Type.String({ description: `e.g. \`name ..; max=${DEFAULT_PAGE}\` or \`name ]last-app..; max=100\`` }),
          ),
        }),
        response: {
          200: Type.Array(AppSchema, { description: 'The last (or only) page', headers: PAGE_HEADERS }),
          206: Type.Array(AppSchema, {
            description: 'A page, more follow',
            headers: { ...PAGE_HEADERS, 'Next-Range': Type.String({ description: 'The Range of the next page' }) },
          }),
          ...errors(416),
        },
      },
    },
    async (request, reply) => {
      const range = parseRange(request.headers.range, ['name']);
      const { apps, more } = await appsPageOf(platform, request.user!, range);
      reply.header('accept-ranges', 'name');
      if (apps.length > 0) reply.header('content-range', `name ${apps[0]!.name}..${apps.at(-1)!.name}`);
      if (more) reply.code(206).header('next-range', nextRange(range, apps.at(-1)!.name));
      return presentApps(platform, apps, host(request.headers));
    },
  );

  app.get(
    '/v1/apps/:app',
    {
      schema: {
        tags: ['apps'],
        summary: 'App info',
        params: AppParamsSchema,
        response: { 200: AppSchema, ...errors(403, 404) },
      },
    },
    async (request) => presentOneApp(platform, request.appRow, host(request.headers)),
  );

  app.patch(
    '/v1/apps/:app',
    {
      schema: {
        tags: ['apps'],
        summary: 'Rename an app, switch maintenance mode, or choose its buildpack',
        params: AppParamsSchema,
        body: AppUpdateSchema,
        response: { 200: AppSchema, ...errors(403, 404, 409, 422) },
      },
      // Collaborators switch maintenance and buildpacks; only the owner (or an admin) renames.
      config: {
        access: (request) => ((request.body as { name?: string }).name === undefined ? 'collaborator' : 'owner'),
      },
    },
    async (request) => {
      const { body } = request;
      let row = request.appRow;
      if (body.maintenance !== undefined) row = await setAppMaintenance(platform, row, request.user!, body.maintenance);
      if (body.buildpack !== undefined) row = await setAppBuildpack(platform, row, request.user!, body.buildpack);
      if (body.name !== undefined) row = await renameAppTo(platform, row, request.user!, body.name);
      return presentOneApp(platform, row, host(request.headers));
    },
  );

  app.delete(
    '/v1/apps/:app',
    {
      schema: {
        tags: ['apps'],
        summary: 'Destroy an app, with its dynos, images, repository and add-ons',
        description: 'Requires ?confirm=<app name>.',
        params: AppParamsSchema,
        querystring: AppDestroyQuerySchema,
        response: { 204: Type.Null(), ...errors(403, 404, 422) },
      },
      // A destroy cut short is finished by destroying again.
      config: { access: 'owner', whileDestroying: true },
    },
    async (request, reply) => {
      await destroyApp(platform, request.appRow, request.user!, request.query.confirm);
      return reply.code(204).send(null);
    },
  );
};
