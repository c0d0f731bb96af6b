import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AppParamsSchema,
  AppPipelineSchema,
  PipelineAppParamsSchema,
  PipelineCouplingCreateSchema,
  PipelineCreateSchema,
  PipelineParamsSchema,
  PipelineSchema,
} from '@plat/core';
import type { Platform } from '../../platform.js';
import {
  addPipelineApp,
  appCoupling,
  createPipeline,
  pipelineForUser,
  pipelinesOf,
  presentPipeline,
  removePipelineApp,
} from '../../services/pipelines.js';
import { errors } from '../error-responses.js';

/** Pipelines and their apps by stage (Heroku's pipeline couplings). */
export const pipelineRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/pipelines',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Pipelines you own or that hold an app you may use',
        response: { 200: Type.Array(PipelineSchema) },
      },
    },
    async (request) => {
      const pipelines = await pipelinesOf(platform, request.user!);
      return Promise.all(pipelines.map((pipeline) => presentPipeline(platform, pipeline)));
    },
  );

  app.post(
    '/v1/pipelines',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Create a pipeline with its first app in a stage',
        body: PipelineCreateSchema,
        response: { 201: PipelineSchema, ...errors(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const pipeline = await createPipeline(platform, request.user!, request.body);
      return reply.code(201).send(await presentPipeline(platform, pipeline));
    },
  );

  app.get(
    '/v1/pipelines/:pipeline',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'A pipeline, its apps by stage and what each runs',
        params: PipelineParamsSchema,
        response: { 200: PipelineSchema, ...errors(404) },
      },
    },
    async (request) =>
      presentPipeline(platform, await pipelineForUser(platform, request.user!, request.params.pipeline)),
  );

  app.post(
    '/v1/pipelines/:pipeline/apps',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Add an app to the pipeline in a stage (an app is in one pipeline at most)',
        params: PipelineParamsSchema,
        body: PipelineCouplingCreateSchema,
        response: { 201: PipelineSchema, ...errors(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const pipeline = await pipelineForUser(platform, request.user!, request.params.pipeline);
      await addPipelineApp(platform, request.user!, pipeline, request.body);
      return reply.code(201).send(await presentPipeline(platform, pipeline));
    },
  );

  app.delete(
    '/v1/pipelines/:pipeline/apps/:app',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'Take an app out of the pipeline (the app stays)',
        params: PipelineAppParamsSchema,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const pipeline = await pipelineForUser(platform, request.user!, request.params.pipeline);
      await removePipelineApp(platform, request.user!, pipeline, request.appRow);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/apps/:app/pipeline',
    {
      schema: {
        tags: ['pipelines'],
        summary: 'The pipeline the app is in, and its stage',
        params: AppParamsSchema,
        response: { 200: AppPipelineSchema, ...errors(403, 404) },
      },
    },
    async (request) => {
      const { pipeline, stage } = await appCoupling(platform, request.appRow);
      return { pipeline: pipeline.name, stage };
    },
  );
};
