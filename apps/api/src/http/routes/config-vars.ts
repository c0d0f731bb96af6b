import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppParamsSchema, ConfigVarsPatchSchema, ConfigVarsSchema } from '@plat/core';
import type { Platform } from '../../platform.js';
import { changeConfig } from '../../services/config-vars.js';
import { configVars } from '../../store/apps.js';
import { errors } from '../error-responses.js';

export const configVarRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/config-vars',
    {
      schema: {
        tags: ['config-vars'],
        summary: "The app's config vars",
        params: AppParamsSchema,
        response: { 200: ConfigVarsSchema, ...errors(403, 404) },
      },
    },
    async (request) => configVars(platform.sql, request.appRow.id),
  );

  app.patch(
    '/v1/apps/:app/config-vars',
    {
      schema: {
        tags: ['config-vars'],
        summary: 'Set and unset config vars; once the app has run, this makes a release',
        params: AppParamsSchema,
        body: ConfigVarsPatchSchema,
        response: {
          200: {
            ...ConfigVarsSchema,
            description: 'The config vars after the change',
            headers: { 'Plat-Release-Version': Type.Integer({ description: 'The version of the release it made' }) },
          },
          ...errors(403, 404, 422),
        },
      },
    },
    async (request, reply) => {
      const { config, release } = await changeConfig(platform, request.appRow, request.user!, request.body);
      reply.header('plat-release-version', String(release.version));
      return config;
    },
  );
};
