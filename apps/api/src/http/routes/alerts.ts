import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AlertSchema, AlertsQuerySchema, AppParamsSchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import { alertsFor } from '../../services/alerts.js';
import { errors } from '../error-responses.js';

export const alertRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: 'Open alerts of your apps and of the platform (all=true: also those resolved)',
        querystring: AlertsQuerySchema,
        response: { 200: Type.Array(AlertSchema) },
      },
    },
    async (request) => alertsFor(platform, request.user!, { resolved: request.query.all === 'true' }),
  );
  app.get(
    '/v1/apps/:app/alerts',
    {
      schema: {
        tags: ['alerts'],
        summary: "The app's open alerts and the platform's (all=true: also those resolved)",
        params: AppParamsSchema,
        querystring: AlertsQuerySchema,
        response: { 200: Type.Array(AlertSchema), ...errors(403, 404) },
      },
    },
    async (request) =>
      alertsFor(platform, request.user!, { app: request.appRow, resolved: request.query.all === 'true' }),
  );
};
