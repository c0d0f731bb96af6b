import type { FastifyPluginAsync } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { appForUser } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { changeConfig } from '../../services/config-vars.js';
import { configVars } from '../../store/apps.js';
import { AppParams, ConfigVars, ConfigVarsPatch, errors } from '../schemas.js';

export const configVarRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/config-vars',
    { schema: { tags: ['config-vars'], summary: "The app's config vars", params: AppParams, response: { 200: ConfigVars, ...errors(403, 404) } } },
    async (request) => {
      const { app: name } = request.params as Static<typeof AppParams>;
      const row = await appForUser(platform.sql, request.user!, name);
      return configVars(platform.sql, row.id);
    },
  );

  app.patch(
    '/v1/apps/:app/config-vars',
    {
      schema: {
        tags: ['config-vars'],
        summary: 'Set and unset config vars; once the app has run, this makes a release',
        params: AppParams,
        body: ConfigVarsPatch,
        response: { 200: ConfigVars, ...errors(403, 404, 422) },
      },
    },
    async (request) => {
      const { app: name } = request.params as Static<typeof AppParams>;
      const row = await appForUser(platform.sql, request.user!, name);
      return changeConfig(platform, row, request.user!, request.body as Record<string, unknown>);
    },
  );
};
