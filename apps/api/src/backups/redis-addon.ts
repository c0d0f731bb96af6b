import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import { listAddons, type AddonRow } from '../store/addons.js';
import type { AppRow } from '../store/apps.js';

/** The app's redis add-on by name, or its REDIS_URL one (else its only one) when none is named. */
export async function redisAddon(platform: Platform, app: AppRow, name?: string): Promise<AddonRow> {
  const addons = (await listAddons(platform.sql, app.id)).filter((a) => a.provider === 'redis');
  const addon = name
    ? addons.find((a) => a.name === name)
    : (addons.find((a) => a.attachment === 'REDIS') ?? addons[0]);
  if (addon?.state !== 'active') {
    throw new PlatError(
      'not_found',
      name
        ? `${name} is not a redis add-on of ${app.name}.`
        : `${app.name} has no redis add-on: plat addons:create redis`,
    );
  }
  return addon;
}
