import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PlatformStatusSchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import { platformStatus } from '../../services/status.js';

export const statusRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/status',
    {
      schema: {
        tags: ['status'],
        summary: "The platform's health: database, Docker, router, stack image",
        response: { 200: PlatformStatusSchema },
      },
    },
    async () => platformStatus(platform),
  );
};
