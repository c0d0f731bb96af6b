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
import { constants, promises as fs } from 'node:fs';
import {
  backupByRef,
  captureBackup,
  databaseInfo,
  listBackups,
  postgresAddon,
  restoreBackup,
  scheduleBackups,
  type BackupRow,
} from '../../services/pg-backups.js';
import { errors } from '../error-responses.js';

const present = (backup: BackupRow) => ({
  id: `b${String(backup.number).padStart(3, '0')}`,
  addon: backup.addon_name,
  size_bytes: Number(backup.size_bytes),
  created_at: backup.created_at.toISOString(),
});

/**
 * A backup's dump, opened before anything is sent: one pruned since it was
 * looked up (or a link where the file was) is not_found, not a broken
 * download; its length is the open file's, not the row's.
 */
async function openDump(file: string, what: string): Promise<{ handle: fs.FileHandle; size: number }> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP')
      throw new PlatError('not_found', `Backup ${what} is no longer on the server (pruned): see plat pg:backups.`);
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new PlatError('not_found', `Backup ${what} is not a file on the server.`);
    return { handle, size: stat.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

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
        summary: 'Capture a backup (pg_dump) of a postgres add-on',
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
