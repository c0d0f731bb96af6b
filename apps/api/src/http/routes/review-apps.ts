import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { PipelineAppParamsSchema, PipelineParamsSchema, ReviewAppCreateSchema, ReviewAppSchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import { pipelineForUser } from '../../services/pipelines.js';
import { createReviewApp, destroyReviewApp, presentReviewApp } from '../../services/review-apps.js';
import { listReviewApps } from '../../store/pipelines.js';
import { errors } from '../error-responses.js';

/** Review apps: temporary apps built from a branch of the pipeline's staging app. */
export const reviewAppRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/pipelines/:pipeline/review-apps',
    {
      schema: {
        tags: ['pipelines'],
        summary: "The pipeline's review apps",
        params: PipelineParamsSchema,
        response: { 200: Type.Array(ReviewAppSchema), ...errors(404) },
      },
    },
    async (request) => {
      const pipeline = await pipelineForUser(platform, request.user!, request.params.pipeline);
      return (await listReviewApps(platform.sql, pipeline.id)).map((row) => presentReviewApp(platform, row));
    },
  );

  app.post(
    '/v1/pipelines/:pipeline/review-apps',
    {
      schema: {
        tags: ['pipelines'],
        summary:
          'Create a review app from a branch of the staging app: built from that commit, app.json applied, ' +
          'destroyed when its TTL passes',
        params: PipelineParamsSchema,
        body: ReviewAppCreateSchema,
        response: { 201: ReviewAppSchema, ...errors(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const pipeline = await pipelineForUser(platform, request.user!, request.params.pipeline);
      return reply.code(201).send(await createReviewApp(platform, request.user!, pipeline, request.body));
    },
  );

  app.delete(
    '/v1/pipelines/:pipeline/review-apps/:app',
    {
      schema: {
        tags: ['pipelines'],
        summary: "Destroy a review app and its add-ons, after app.json's pr-predestroy script",
        params: PipelineAppParamsSchema,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
      // A destroy cut short is finished by asking again.
      config: { whileDestroying: true },
    },
    async (request, reply) => {
      const pipeline = await pipelineForUser(platform, request.user!, request.params.pipeline);
      await destroyReviewApp(platform, request.user!, pipeline, request.appRow);
      return reply.code(204).send(null);
    },
  );
};
