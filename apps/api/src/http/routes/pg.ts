import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PlatError } from '@plat/core';
import { appForUser } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { captureBackup, databaseInfo, listBackups, postgresAddon, restoreBackup, scheduleBackups, type BackupRow } from '../../services/pg-backups.js';
import { AppParams, errors } from '../schemas.js';

const Backup = Type.Object({ id: Type.String(), addon: Type.String(), size_bytes: Type.Integer(), created_at: Type.String({ format: 'date-time' }) });
const present = (backup: BackupRow) => ({
  id: `b${String(backup.number).padStart(3, '0')}`,
  addon: backup.addon_name,
  size_bytes: Number(backup.size_bytes),
  created_at: backup.created_at.toISOString(),
});
const AddonQuery = Type.Object({ addon: Type.Optional(Type.String({ maxLength: 100 })) });

/** Postgres add-on operations: info, backups (capture, list, restore) and their daily schedule. */
export const pgRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;
  const appOf = (request: { user?: unknown; params: unknown }) => appForUser(sql, request.user as never, (request.params as Static<typeof AppParams>).app);

  app.get(
    '/v1/apps/:app/pg',
    { schema: { tags: ['postgres'], summary: 'A postgres add-on: plan, state, size, tables, connections', params: AppParams, querystring: AddonQuery, response: { 200: Type.Record(Type.String(), Type.String()), ...errors(403, 404) } } },
    async (request) => {
      const row = await appOf(request);
      return databaseInfo(platform, await postgresAddon(platform, row, (request.query as Static<typeof AddonQuery>).addon));
    },
  );

  app.get(
    '/v1/apps/:app/pg/backups',
    { schema: { tags: ['postgres'], summary: "The app's backups, newest first", params: AppParams, response: { 200: Type.Array(Backup), ...errors(403, 404) } } },
    async (request) => (await listBackups(platform, await appOf(request))).map(present),
  );

  app.post(
    '/v1/apps/:app/pg/backups',
    {
      schema: { tags: ['postgres'], summary: 'Capture a backup (pg_dump) of a postgres add-on', params: AppParams, body: Type.Object({ addon: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }), response: { 201: Backup, ...errors(403, 404, 503) } },
    },
    async (request, reply) => {
      const row = await appOf(request);
      const addon = await postgresAddon(platform, row, (request.body as { addon?: string } | undefined)?.addon);
      return reply.code(201).send(present(await captureBackup(platform, row, addon)));
    },
  );

  app.post(
    '/v1/apps/:app/pg/backups/:backup/actions/restore',
    {
      schema: {
        tags: ['postgres'],
        summary: "Restore a backup into a postgres add-on, replacing its data; requires confirm: the app's name",
        params: Type.Object({ app: Type.String({ maxLength: 100 }), backup: Type.String({ pattern: '^b?\\d{1,6}$' }) }),
        body: Type.Object({ addon: Type.Optional(Type.String({ maxLength: 100 })), confirm: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }),
        response: { 202: Type.Object({}), ...errors(403, 404, 422, 503) },
      },
    },
    async (request, reply) => {
      const row = await appOf(request);
      const body = request.body as { addon?: string; confirm?: string };
      const target = await postgresAddon(platform, row, body.addon);
      if (body.confirm !== row.name) throw new PlatError('invalid_params', `Restoring replaces the data in ${target.name}: confirm with the app's name (--confirm ${row.name}).`);
      await restoreBackup(platform, row, request.user!, (request.params as { backup: string }).backup, target);
      return reply.code(202).send({});
    },
  );

  app.put(
    '/v1/apps/:app/pg/backups/schedule',
    {
      schema: {
        tags: ['postgres'],
        summary: 'Capture a backup of a postgres add-on every day at an hour (UTC)',
        params: AppParams,
        body: Type.Object({ addon: Type.Optional(Type.String({ maxLength: 100 })), hour: Type.Integer({ minimum: 0, maximum: 23 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ addon: Type.String(), schedule: Type.String() }), ...errors(403, 404, 422) },
      },
    },
    async (request) => {
      const row = await appOf(request);
      const body = request.body as { addon?: string; hour: number };
      const addon = await postgresAddon(platform, row, body.addon);
      await scheduleBackups(platform, row, request.user!, addon, body.hour);
      return { addon: addon.name, schedule: `0 ${body.hour} * * *` };
    },
  );
};
