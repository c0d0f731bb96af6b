import { PlatError } from '@plat/core';
import type { Platform } from '../platform.js';
import { updateConfigVars, type AppRow } from '../store/apps.js';
import type { User } from '../store/users.js';
import { audit, maskConfig } from './audit.js';
import type { ReleaseRow } from '../store/releases.js';
import { releaseConfig } from './releases.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Set by Plat for every dyno; an app cannot override them. */
const RESERVED = new Set(['PORT', 'DYNO']);

export function checkConfigChanges(changes: Record<string, unknown>): Record<string, string | null> {
  const entries = Object.entries(changes);
  if (entries.length === 0) throw new PlatError('invalid_params', 'No config vars given.');
  for (const [key, value] of entries) {
    if (!KEY.test(key))
      throw new PlatError(
        'invalid_params',
        `Invalid config var name ${JSON.stringify(key)}: letters, digits and _, not starting with a digit.`,
      );
    if (RESERVED.has(key))
      throw new PlatError('invalid_params', `${key} is set by Plat for every dyno and cannot be changed.`);
    if (value !== null && typeof value !== 'string')
      throw new PlatError('invalid_params', `The value of ${key} must be a string, or null to unset it.`);
    if (typeof value === 'string' && value.length > 32_768)
      throw new PlatError('invalid_params', `The value of ${key} is over 32 KB.`);
  }
  return changes as Record<string, string | null>;
}

function describe(changes: Record<string, string | null>): string {
  const set = Object.keys(changes).filter((key) => changes[key] !== null);
  const unset = Object.keys(changes).filter((key) => changes[key] === null);
  return [set.length ? `Set ${set.join(', ')}` : '', unset.length ? `Unset ${unset.join(', ')}` : '']
    .filter(Boolean)
    .join('; ');
}

/**
 * Applies the change set and releases it: vN+1 with the new config, rolled
 * out with zero downtime, or before the app's first deploy a release with
 * no image that only records the config (Heroku's). Serialised with the
 * app's other releases, so each release snapshots the config in order.
 */
export function changeConfig(
  platform: Platform,
  app: AppRow,
  user: User,
  raw: Record<string, unknown>,
): Promise<{ config: Record<string, string>; release: ReleaseRow }> {
  const changes = checkConfigChanges(raw);
  return platform.releases.run(app.name, async () => {
    const config = await updateConfigVars(platform.sql, app.id, changes);
    platform.events.publish(app.id, { type: 'config', action: 'update', data: { keys: Object.keys(changes) } });
    await audit(platform, app, user, 'config.update', { changes: maskConfig(changes) });
    const release = await releaseConfig(platform, app, describe(changes), user);
    return { config, release };
  });
}
