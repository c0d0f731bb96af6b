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
import { backupAddon } from '../../backups/backup-addon.js';
import { openDump } from '../../backups/files.js';
import { presentBackup as present } from '../../backups/present.js';
import { recheckBackup } from '../../backups/verify.js';
import type { Platform } from '../../platform.js';
import { backupByRef, captureBackup, listBackups, restoreBackup } from '../../services/pg-backups.js';
import type { BackupProvider } from '../../store/pg-backups.js';
import { errors } from '../error-responses.js';

/** What differs between the providers' backup routes: their path, tag, file and words. */
export interface BackupRoutesKind {
  provider: BackupProvider;
  /** `/v1/apps/:app/<path>/backups`, and the CLI's `plat <path>:backups`. */
  path: 'pg' | 'redis';
  tag: string;
  extension: string;
  /** What a capture takes, what a check does, what a download is. */
  words: { capture: string; check: string; verified: string; file: string; replaces: string };
}

export const POSTGRES_BACKUPS: BackupRoutesKind = {
  provider: 'postgres',
  path: 'pg',
  tag: 'postgres',
  extension: 'dump',
  words: {
    capture: 'a backup (pg_dump)',
    check: 'restore it into a scratch server and compare its tables and rows',
    verified: 'verified (tables, rows)',
    file: "dump (pg_dump's custom format, for pg_restore)",
    replaces: 'its data',
  },
};

export const REDIS_BACKUPS: BackupRoutesKind = {
  provider: 'redis',
  path: 'redis',
  tag: 'redis',
  extension: 'rdb',
  words: {
    capture: 'an RDB snapshot',
    check: 'load it into a scratch redis and compare its keys',
    verified: 'verified (keys)',
    file: 'RDB snapshot',
    replaces: 'its keys',
  },
};

/**
 * An add-on provider's backups: list, capture (its check follows), one
 * with its check, verify again, download, restore. One set of routes for
 * every provider Plat backs up.
 */
/** The typebox-typed instance a route plugin gets. */
type RoutesApp = Parameters<FastifyPluginAsyncTypebox>[0];

export function addonBackupRoutes(app: RoutesApp, platform: Platform, kind: BackupRoutesKind): void {
  const { provider, path, tag, words } = kind;
  const base = `/v1/apps/:app/${path}/backups`;
  const command = `${path}:backups`;

  app.get(
    base,
    {
      schema: {
        tags: [tag],
        summary: `The app's ${provider} backups, newest first`,
        params: AppParamsSchema,
        response: { 200: Type.Array(PgBackupSchema), ...errors(403, 404) },
      },
    },
    async (request) => (await listBackups(platform, request.appRow, provider)).map(present),
  );

  app.post(
    base,
    {
      schema: {
        tags: [tag],
        summary: `Capture ${words.capture} of a ${provider} add-on; its check follows (verification pending)`,
        params: AppParamsSchema,
        body: PgBackupCaptureSchema,
        response: { 201: PgBackupSchema, ...errors(403, 404, 503) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const addon = await backupAddon(platform, row, provider, request.body.addon);
      return reply.code(201).send(present(await captureBackup(platform, row, addon)));
    },
  );

  app.get(
    `${base}/:backup`,
    {
      schema: {
        tags: [tag],
        summary: `A ${provider} backup, with its check: pending, ${words.verified} or failed (reason)`,
        params: PgBackupParamsSchema,
        response: { 200: PgBackupSchema, ...errors(403, 404) },
      },
    },
    async (request) => present(await backupByRef(platform, request.appRow, request.params.backup, provider)),
  );

  app.post(
    `${base}/:backup/actions/verify`,
    {
      schema: {
        tags: [tag],
        summary: `Check a ${provider} backup again: ${words.check}`,
        params: PgBackupParamsSchema,
        response: { 202: PgBackupSchema, ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const backup = await backupByRef(platform, row, request.params.backup, provider);
      return reply.code(202).send(present(await recheckBackup(platform, row, backup)));
    },
  );

  app.get(
    `${base}/:backup/download`,
    {
      schema: {
        tags: [tag],
        summary: `A ${provider} backup's ${words.file}, as a file to download`,
        params: PgBackupParamsSchema,
        response: errors(403, 404),
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const backup = await backupByRef(platform, row, request.params.backup, provider);
      const { id } = present(backup);
      const { handle, size } = await openDump(backup.file, `${id} of ${row.name}`, command);
      return reply
        .type('application/octet-stream')
        .header('content-disposition', `attachment; filename="${row.name}-${id}.${kind.extension}"`)
        .header('content-length', String(size))
        .send(handle.createReadStream());
    },
  );

  app.post(
    `${base}/:backup/actions/restore`,
    {
      schema: {
        tags: [tag],
        summary:
          `Restore a backup into a ${provider} add-on, replacing ${words.replaces}; ` +
          "requires confirm: the app's name",
        params: PgBackupParamsSchema,
        body: PgRestoreSchema,
        response: { 202: Type.Object({}), ...errors(403, 404, 422, 503) },
      },
    },
    async (request, reply) => {
      const row = request.appRow;
      const { addon, confirm } = request.body;
      const target = await backupAddon(platform, row, provider, addon);
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
}
