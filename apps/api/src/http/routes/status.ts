import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Platform } from '../../platform.js';
import { platformStatus } from '../../services/status.js';

const Check = Type.Object({ ok: Type.Boolean(), detail: Type.String() });

export const statusRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/status',
    {
      schema: {
        tags: ['status'],
        summary: "The platform's health: database, Docker, router, stack image",
        response: { 200: Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]), checks: Type.Record(Type.String(), Check) }) },
      },
    },
    async () => platformStatus(platform),
  );
};
