import type { CommandContext } from '../../context.js';
import {
  captureAddonBackup,
  downloadAddonBackup,
  listAddonBackups,
  REDIS_BACKUPS,
  restoreAddonBackup,
  verifyAddonBackup,
} from '../backups/addon-backups.js';

type AppOptions = { app?: string; json?: boolean };

/** `plat redis:backups`: the app's redis snapshots and their checks. */
export function listRedisBackups(options: AppOptions, context: CommandContext): Promise<void> {
  return listAddonBackups(REDIS_BACKUPS, options, context);
}

/** `plat redis:backups:capture [ADDON]`: the snapshot, then its check in a scratch redis, waited for (bounded). */
export function captureRedisBackup(addon: string | undefined, options: AppOptions, context: CommandContext) {
  return captureAddonBackup(REDIS_BACKUPS, addon, options, context);
}

/** `plat redis:backups:verify [BACKUP]`: checks a snapshot again (the newest by default). */
export function verifyRedisBackup(backup: string | undefined, options: AppOptions, context: CommandContext) {
  return verifyAddonBackup(REDIS_BACKUPS, backup, options, context);
}

/** `plat redis:backups:restore BACKUP [ADDON] --confirm APP`: replaces the add-on's keys with the snapshot's. */
export function restoreRedisBackup(
  backup: string,
  addon: string | undefined,
  options: { app?: string; confirm?: string },
  context: CommandContext,
) {
  return restoreAddonBackup(REDIS_BACKUPS, backup, addon, options, context);
}

/** `plat redis:backups:download [BACKUP] [-o FILE]`: the RDB file; never overwrites. */
export function downloadRedisBackup(
  backup: string | undefined,
  options: { app?: string; output?: string },
  context: CommandContext,
) {
  return downloadAddonBackup(REDIS_BACKUPS, backup, options, context);
}
