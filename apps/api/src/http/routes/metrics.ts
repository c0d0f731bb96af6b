import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppParamsSchema, MetricsQuerySchema, MetricsSchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import { appMetrics } from '../../services/metrics.js';
import { errors } from '../error-responses.js';

export const metricsRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/metrics',
    {
      schema: {
        tags: ['metrics'],
        summary: "CPU, memory, network and restarts of the app's dynos and add-ons, one series per container",
        params: AppParamsSchema,
        querystring: MetricsQuerySchema,
        response: { 200: MetricsSchema, ...errors(403, 404, 422) },
      },
    },
    async (request) => appMetrics(platform, request.appRow, request.query),
  );
};
