import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AppParamsSchema,
  AppSetupCreateSchema,
  AppSetupSchema,
  FeatureParamsSchema,
  FeatureSchema,
  FeatureUpdateSchema,
} from '@plat/core';
import type { Platform } from '../../platform.js';
import { setUpApp } from '../../services/app-manifest.js';
import { presentOneApp } from '../../services/apps.js';
import { listFeatures, setFeature } from '../../services/features.js';
import { errors } from '../error-responses.js';

/** App setups (an app from an app.json, Heroku's /app-setups) and labs features. */
export const appSetupRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const host = (headers: { host?: string }) => headers.host ?? `127.0.0.1:${platform.settings.apiPort}`;

  app.post(
    '/v1/app-setups',
    {
      schema: {
        tags: ['apps'],
        summary: 'Create an app from an app.json: config vars, formation, buildpack and add-ons',
        description: 'Its code comes with the first push, after which scripts.postdeploy runs once.',
        body: AppSetupCreateSchema,
        response: { 201: AppSetupSchema, ...errors(403, 404, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const { name, manifest, env } = request.body;
      const setup = await setUpApp(platform, request.user!, { name, manifest, env });
      return reply.code(201).send({
        app: await presentOneApp(platform, setup.app, host(request.headers)),
        warnings: setup.warnings,
        postdeploy: setup.postdeploy,
      });
    },
  );

  app.get(
    '/v1/apps/:app/features',
    {
      schema: {
        tags: ['apps'],
        summary: "The app's labs features",
        params: AppParamsSchema,
        response: { 200: Type.Array(FeatureSchema), ...errors(403, 404) },
      },
    },
    async (request) => listFeatures(request.appRow),
  );

  app.patch(
    '/v1/apps/:app/features/:feature',
    {
      schema: {
        tags: ['apps'],
        summary: 'Switch a labs feature on or off (the dynos restart to see it)',
        params: FeatureParamsSchema,
        body: FeatureUpdateSchema,
        response: { 200: FeatureSchema, ...errors(403, 404, 422) },
      },
    },
    async (request) =>
      setFeature(platform, request.appRow, request.user!, request.params.feature, request.body.enabled),
  );
};
