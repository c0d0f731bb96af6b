import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AppParamsSchema,
  PgAddonQuerySchema,
  PgBackupCaptureSchema,
  PgBackupParamsSchema,
  PgBackupScheduleSchema,
  PgBackupScheduleSetSchema,
  PgBackupSchema,
  PgInfoSchema,
  PgRestoreSchema,
  PlatError,
} from '@plat/core';
import type { Platform } from '../../platform.js';
import { openDump } from '../../backups/files.js';
import { presentBackup as present } from '../../backups/present.js';
import { recheckBackup } from '../../backups/verify.js';
import {
  backupByRef,
  captureBackup,
  databaseInfo,
  listBackups,
  postgresAddon,
  restoreBackup,
  scheduleBackups,
} from '../../services/pg-backups.js';
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

  app.get(
    '/v1/apps/:app/pg/backups',
    {
      schema: {
        tags: ['postgres'],
        summary: "The app's backups, newest first",
        params: AppParamsSchema,
        response: { 200: Type.Array(PgBackupSchema), ...errors(403, 404) },
      },
    },
    async (request) => (await listBackups(platform, request.appRow)).map(present),
  );

  app.post(
    '/v1/apps/:app/pg/backups',
    {
      schema: {
        tags: ['postgres'],
        summary: 'Capture a backup (pg_dump) of a postgres add-on; its check follows (verification pending)',
        params: AppParamsSchema,
        body: PgBackupCaptureSchema,
        response: { 201: PgBackupSchema, ...errors(403, 404, 503) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const addon = await postgresAddon(platform, row, request.body.addon);
      return reply.code(201).send(present(await captureBackup(platform, row, addon)));
    },
  );

  app.get(
    '/v1/apps/:app/pg/backups/:backup',
    {
      schema: {
        tags: ['postgres'],
        summary: 'A backup, with its check: pending, verified (tables, rows) or failed (reason)',
        params: PgBackupParamsSchema,
        response: { 200: PgBackupSchema, ...errors(403, 404) },
      },
    },
    async (request) => present(await backupByRef(platform, request.appRow, request.params.backup)),
  );

  app.post(
    '/v1/apps/:app/pg/backups/:backup/actions/verify',
    {
      schema: {
        tags: ['postgres'],
        summary: 'Check a backup again: restore it into a scratch server and compare its tables and rows',
        params: PgBackupParamsSchema,
        response: { 202: PgBackupSchema, ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const backup = await backupByRef(platform, row, request.params.backup);
      return reply.code(202).send(present(await recheckBackup(platform, row, backup)));
    },
  );

  app.get(
    '/v1/apps/:app/pg/backups/:backup/download',
    {
      schema: {
        tags: ['postgres'],
        summary: "A backup's dump (pg_dump's custom format, for pg_restore), as a file to download",
        params: PgBackupParamsSchema,
        response: errors(403, 404),
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const backup = await backupByRef(platform, row, request.params.backup);
      const { id } = present(backup);
      const { handle, size } = await openDump(backup.file, `${id} of ${row.name}`);
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${row.name}-${id}.dump"`)
        .header('content-length', String(size))
        .send(handle.createReadStream());
    },
  );

  app.post(
    '/v1/apps/:app/pg/backups/:backup/actions/restore',
    {
      schema: {
        tags: ['postgres'],
        summary: "Restore a backup into a postgres add-on, replacing its data; requires confirm: the app's name",
        params: PgBackupParamsSchema,
        body: PgRestoreSchema,
        response: { 202: Type.Object({}), ...errors(403, 404, 422, 503) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { addon, confirm } = request.body;
      const target = await postgresAddon(platform, row, addon);
      if (confirm !== row.name) {
        throw new PlatError(
          'invalid_params',
          `Restoring replaces the data in ${target.name}: confirm with the app's name (--confirm ${row.name}).`,
        );
      }
      await restoreBackup(platform, row, request.user!, request.params.backup, target);
      return reply.code(202).send({});
    },
  );

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
