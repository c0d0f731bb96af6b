import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Platform } from '../../platform.js';
import { addonBackupRoutes, REDIS_BACKUPS } from './addon-backups.js';

/** Redis add-on backups: RDB snapshots, each checked in a scratch redis; capture, list, verify, restore, download. */
export const redisRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  addonBackupRoutes(app, platform, REDIS_BACKUPS);
};
