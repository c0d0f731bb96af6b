import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppParamsSchema, PipelineDiffSchema, PromotionCreateSchema, PromotionSchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import { pipelineDiff, promote } from '../../services/promotion.js';
import { errors } from '../error-responses.js';

/** Promotions down a pipeline, and what a promotion would carry (pipelines:diff). */
export const promotionRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.post(
    '/v1/apps/:app/pipeline/promotions',
    {
      schema: {
        tags: ['pipelines'],
        summary:
          "Promote the app's current release to the next stage's apps: the same image, each app's own config, " +
          'its release phase run; one result per app',
        params: AppParamsSchema,
        body: PromotionCreateSchema,
        response: { 201: PromotionSchema, ...errors(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const promotion = await promote(platform, request.user!, request.appRow, request.body.to);
      return reply.code(201).send(promotion);
    },
  );

  app.get(
    '/v1/apps/:app/pipeline/diff',
    {
      schema: {
        tags: ['pipelines'],
        summary: "The commits between the app's current release and each downstream app's",
        params: AppParamsSchema,
        response: { 200: PipelineDiffSchema, ...errors(403, 404) },
      },
    },
    async (request) => pipelineDiff(platform, request.appRow),
  );
};
