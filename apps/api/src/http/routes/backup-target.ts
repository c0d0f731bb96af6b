import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  BackupTargetInfoSchema,
  BackupTargetSetResultSchema,
  BackupTargetSetSchema,
  BackupTargetUnsetResultSchema,
  BackupUploadsRetrySchema,
  PlatError,
} from '@plat/core';
import { requireAdmin } from '../../auth/access.js';
import { backupTargetInfo, setBackupTarget, unsetBackupTarget } from '../../backups/target.js';
import { retryUploads } from '../../backups/uploads.js';
import type { Platform } from '../../platform.js';
import { errors } from '../error-responses.js';

const PATH = '/v1/admin/backup-target';

/** `plat backups:target`, `:set`, `:unset`, `:retry`: backups kept off the server, for admins only. */
export const backupTargetRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    PATH,
    {
      schema: {
        tags: ['admin'],
        summary: "The backup target (or null), its uploads, and platd's SSH public key for sftp targets (admins only)",
        response: { 200: BackupTargetInfoSchema, ...errors(403) },
      },
    },
    async (request) => {
      requireAdmin(request.user!);
      return backupTargetInfo(platform);
    },
  );

  app.put(
    PATH,
    {
      schema: {
        tags: ['admin'],
        summary:
          'Set the backup target: a new restic repository (its password returned once) or an existing one ' +
          'opened with its password; every backup is then uploaded (admins only)',
        body: BackupTargetSetSchema,
        response: { 200: BackupTargetSetResultSchema, ...errors(403, 422, 503) },
      },
    },
    async (request) => {
      requireAdmin(request.user!);
      return setBackupTarget(platform, request.user!, request.body);
    },
  );

  app.delete(
    PATH,
    {
      schema: {
        tags: ['admin'],
        summary: 'Stop uploading backups; the repository at the target is left as it is (admins only)',
        response: { 200: BackupTargetUnsetResultSchema, ...errors(403, 404) },
      },
    },
    async (request) => {
      requireAdmin(request.user!);
      const removed = await unsetBackupTarget(platform, request.user!);
      if (!removed) throw new PlatError('not_found', 'No backup target is set.');
      return removed;
    },
  );

  app.post(
    `${PATH}/actions/retry`,
    {
      schema: {
        tags: ['admin'],
        summary: 'Upload now every backup that is not on the target (failed ones included) (admins only)',
        response: { 200: BackupUploadsRetrySchema, ...errors(403, 404) },
      },
    },
    async (request) => {
      requireAdmin(request.user!);
      return { queued: await retryUploads(platform) };
    },
  );
};
