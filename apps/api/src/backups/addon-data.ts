import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import type { AddonRow } from '../store/addons.js';
import { dumpPostgres, loadPostgres } from './postgres-data.js';
import { dumpRedis, loadRedis } from './redis-data.js';

/**
 * An add-on's data as one stream, and back: what backups, their checks and
 * admin:export/import share. postgres: pg_dump's custom format (pg_restore
 * reads it); redis: an RDB snapshot. Both are taken while the app keeps
 * running, as one consistent snapshot of the add-on.
 */

/** Add-on providers whose data these can carry. */
export const DATA_PROVIDERS = ['postgres', 'redis'] as const;

export function carriesData(addon: Pick<AddonRow, 'provider'>): boolean {
  return (DATA_PROVIDERS as readonly string[]).includes(addon.provider);
}

/**
 * Writes the add-on's data to `out` and resolves once all of it is written;
 * `out` is not ended (the caller owns it: a file to close, an archive entry).
 * Throws PlatError unavailable, with the tool's message, when the dump fails:
 * what was written to `out` then is incomplete and must be thrown away.
 */
export async function dumpAddon(platform: Platform, addon: AddonRow, out: NodeJS.WritableStream): Promise<void> {
  if (addon.provider === 'postgres') return dumpPostgres(platform, addon, out);
  if (addon.provider === 'redis') return dumpRedis(platform, addon, out);
  throw new PlatError('invalid_params', `${addon.name} (${addon.provider}) keeps no data to dump.`);
}

/**
 * Replaces the add-on's data with a dump from dumpAddon, all or nothing: on
 * failure (PlatError unavailable) the add-on holds what it held before.
 */
export async function loadAddon(platform: Platform, addon: AddonRow, input: NodeJS.ReadableStream): Promise<void> {
  if (addon.provider === 'postgres') return loadPostgres(platform, addon, input);
  if (addon.provider === 'redis') return loadRedis(platform, addon, input);
  throw new PlatError('invalid_params', `${addon.name} (${addon.provider}) keeps no data to load.`);
}
