import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppParamsSchema, LogDrainCreateSchema, LogDrainParamsSchema, LogDrainSchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import { addDrain, appDrains, removeDrain } from '../../services/drains.js';
import { errors } from '../error-responses.js';

/** Log drains (Heroku's log-drains): where the app's log stream is also delivered. */
export const drainRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/log-drains',
    {
      schema: {
        tags: ['drains'],
        summary: "The app's log drains",
        params: AppParamsSchema,
        response: { 200: Type.Array(LogDrainSchema), ...errors(403, 404) },
      },
    },
    async (request) => appDrains(platform, request.appRow),
  );
  app.post(
    '/v1/apps/:app/log-drains',
    {
      schema: {
        tags: ['drains'],
        summary: "Deliver the app's log stream to a syslog (TCP or TLS) or HTTPS drain too",
        params: AppParamsSchema,
        body: LogDrainCreateSchema,
        response: { 201: LogDrainSchema, ...errors(403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await addDrain(platform, request.appRow, request.user!, request.body.url)),
  );
  app.delete(
    '/v1/apps/:app/log-drains/:id',
    {
      schema: {
        tags: ['drains'],
        summary: 'Stop delivering to a drain, named by its id or token',
        params: LogDrainParamsSchema,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      await removeDrain(platform, request.appRow, request.user!, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
