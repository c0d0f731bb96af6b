import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppParamsSchema,
  PgAddonQuerySchema,
  PgBackupScheduleSchema,
  PgBackupScheduleSetSchema,
  PgInfoSchema,
} from '@plat/core';
import type { Platform } from '../../platform.js';
import { databaseInfo, postgresAddon, scheduleBackups } from '../../services/pg-backups.js';
import { addonBackupRoutes, POSTGRES_BACKUPS } from './addon-backups.js';
import { errors } from '../error-responses.js';

/** Postgres add-on operations: info, backups (capture, list, restore) and their daily schedule. */
export const pgRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/pg',
    {
      schema: {
        tags: ['postgres'],
        summary: 'A postgres add-on: plan, state, size, tables, connections',
        params: AppParamsSchema,
        querystring: PgAddonQuerySchema,
        response: { 200: PgInfoSchema, ...errors(403, 404) },
      },
    },
    async (request) => databaseInfo(platform, await postgresAddon(platform, request.appRow, request.query.addon)),
  );

  addonBackupRoutes(app, platform, POSTGRES_BACKUPS);

  app.put(
    '/v1/apps/:app/pg/backups/schedule',
    {
      schema: {
        tags: ['postgres'],
        summary: 'Capture a backup of a postgres add-on every day at an hour (UTC)',
        params: AppParamsSchema,
        body: PgBackupScheduleSetSchema,
        response: { 200: PgBackupScheduleSchema, ...errors(403, 404, 422) },
      },
    },
    async (request) => {
      const row = request.appRow;
      const { hour } = request.body;
      const addon = await postgresAddon(platform, row, request.body.addon);
      await scheduleBackups(platform, row, request.user!, addon, hour);
      return { addon: addon.name, schedule: `0 ${hour} * * *` };
    },
  );
};
