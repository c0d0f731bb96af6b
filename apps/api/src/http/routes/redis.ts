import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AppParamsSchema,
  PgBackupCaptureSchema,
  PgBackupParamsSchema,
  PgBackupSchema,
  PgRestoreSchema,
  PlatError,
} from '@plat/core';
import { openDump } from '../../backups/files.js';
import { presentBackup as present } from '../../backups/present.js';
import { redisAddon } from '../../backups/redis-addon.js';
import { recheckBackup } from '../../backups/verify.js';
import type { Platform } from '../../platform.js';
import { backupByRef, captureBackup, listBackups, restoreBackup } from '../../services/pg-backups.js';
import { errors } from '../error-responses.js';

/** Redis add-on backups: RDB snapshots, each checked in a scratch redis; capture, list, verify, restore, download. */
export const redisRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/redis/backups',
    {
      schema: {
        tags: ['redis'],
        summary: "The app's redis backups, newest first",
        params: AppParamsSchema,
        response: { 200: Type.Array(PgBackupSchema), ...errors(403, 404) },
      },
    },
    async (request) => (await listBackups(platform, request.appRow, 'redis')).map(present),
  );

  app.post(
    '/v1/apps/:app/redis/backups',
    {
      schema: {
        tags: ['redis'],
        summary: 'Capture an RDB snapshot of a redis add-on; its check follows (verification pending)',
        params: AppParamsSchema,
        body: PgBackupCaptureSchema,
        response: { 201: PgBackupSchema, ...errors(403, 404, 503) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const addon = await redisAddon(platform, row, request.body.addon);
      return reply.code(201).send(present(await captureBackup(platform, row, addon)));
    },
  );

  app.get(
    '/v1/apps/:app/redis/backups/:backup',
    {
      schema: {
        tags: ['redis'],
        summary: 'A redis backup, with its check: pending, verified (keys) or failed (reason)',
        params: PgBackupParamsSchema,
        response: { 200: PgBackupSchema, ...errors(403, 404) },
      },
    },
    async (request) => present(await backupByRef(platform, request.appRow, request.params.backup, 'redis')),
  );

  app.post(
    '/v1/apps/:app/redis/backups/:backup/actions/verify',
    {
      schema: {
        tags: ['redis'],
        summary: 'Check a redis backup again: load it into a scratch redis and compare its keys',
        params: PgBackupParamsSchema,
        response: { 202: PgBackupSchema, ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const backup = await backupByRef(platform, row, request.params.backup, 'redis');
      return reply.code(202).send(present(await recheckBackup(platform, row, backup)));
    },
  );

  app.get(
    '/v1/apps/:app/redis/backups/:backup/download',
    {
      schema: {
        tags: ['redis'],
        summary: "A redis backup's RDB snapshot, as a file to download",
        params: PgBackupParamsSchema,
        response: errors(403, 404),
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const backup = await backupByRef(platform, row, request.params.backup, 'redis');
      const { id } = present(backup);
      const { handle, size } = await openDump(backup.file, `${id} of ${row.name}`, 'redis:backups');
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${row.name}-${id}.rdb"`)
        .header('content-length', String(size))
        .send(handle.createReadStream());
    },
  );

  app.post(
    '/v1/apps/:app/redis/backups/:backup/actions/restore',
    {
      schema: {
        tags: ['redis'],
        summary: "Restore a snapshot into a redis add-on, replacing its keys; requires confirm: the app's name",
        params: PgBackupParamsSchema,
        body: PgRestoreSchema,
        response: { 202: Type.Object({}), ...errors(403, 404, 422, 503) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { addon, confirm } = request.body;
      const target = await redisAddon(platform, row, addon);
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
};
