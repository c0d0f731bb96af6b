import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import { listAddons, type AddonRow } from '../store/addons.js';
import type { AppRow } from '../store/apps.js';
import type { BackupProvider } from '../store/pg-backups.js';

/** The attachment a provider's add-on gets by default: the one its commands pick when none is named. */
const DEFAULT_ATTACHMENT: Record<BackupProvider, string> = { postgres: 'DATABASE', redis: 'REDIS' };

/**
 * The app's add-on of a provider that backups are taken of: by name, else
 * its default attachment's (DATABASE_URL, REDIS_URL), else its first one.
 */
export async function backupAddon(
  platform: Platform,
  app: AppRow,
  provider: BackupProvider,
  name?: string,
): Promise<AddonRow> {
  const addons = (await listAddons(platform.sql, app.id)).filter((a) => a.provider === provider);
  const addon = name
    ? addons.find((a) => a.name === name)
    : (addons.find((a) => a.attachment === DEFAULT_ATTACHMENT[provider]) ?? addons[0]);
  if (addon?.state !== 'active') {
    throw new PlatError(
      'not_found',
      name
        ? `${name} is not a ${provider} add-on of ${app.name}.`
        : `${app.name} has no ${provider} add-on: plat addons:create ${provider}`,
    );
  }
  return addon;
}
