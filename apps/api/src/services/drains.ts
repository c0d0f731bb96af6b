import { randomUUID } from 'node:crypto';
import { PlatError, type LogDrain } from '@plat/core';
import { isIP } from 'node:net';
import { addressRefusal, isLocalName } from '../drains/drain-address.js';
import { parseDrainUrl, redactedDrainUrl } from '../drains/drain-url.js';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import { deleteLogDrain, insertLogDrain, listLogDrains, type LogDrainRow } from '../store/drains.js';
import type { User } from '../store/users.js';
import { audit } from './audit.js';

/** Each drain is a connection platd keeps and a queue it holds: a few per app is what Heroku users have. */
export const MAX_DRAINS_PER_APP = 5;

function present(platform: Platform, row: LogDrainRow): LogDrain {
  return {
    id: row.id,
    url: row.url,
    token: row.token,
    created_at: row.created_at.toISOString(),
    last_error: platform.drains.lastError(row.id) ?? null,
  };
}

export async function appDrains(platform: Platform, app: AppRow): Promise<LogDrain[]> {
  return (await listLogDrains(platform.sql, app.id)).map((row) => present(platform, row));
}

/**
 * Adds a drain. An address written in the URL is checked now; a name is
 * resolved and its address checked each time platd connects.
 */
export async function addDrain(platform: Platform, app: AppRow, user: User, raw: string): Promise<LogDrain> {
  const target = parseDrainUrl(raw);
  const { allowPrivate } = platform.settings.drains;
  const refusal = isIP(target.host)
    ? addressRefusal(target.host, { allowPrivate, hostAddresses: [] })
    : !allowPrivate && isLocalName(target.host)
      ? `${target.host} is this server (PLAT_DRAINS_ALLOW_PRIVATE=1 allows it)`
      : undefined;
  if (refusal) throw new PlatError('invalid_params', `Plat does not deliver logs there: ${refusal}.`);
  const { row, full } = await insertLogDrain(platform.sql, {
    appId: app.id,
    url: target.url,
    token: `d.${randomUUID()}`,
    max: MAX_DRAINS_PER_APP,
  });
  if (full)
    throw new PlatError('quota_exceeded', `${app.name} has ${MAX_DRAINS_PER_APP} drains already; remove one first.`);
  if (!row) throw new PlatError('conflict', `${redactedDrainUrl(target.url)} is already a drain of ${app.name}.`);
  await audit(platform, app, user, 'drain.add', { url: redactedDrainUrl(row.url), token: row.token });
  await platform.drains.sync();
  return present(platform, row);
}

/** Removes a drain named by its id or token; deliveries to it stop at once. */
export async function removeDrain(platform: Platform, app: AppRow, user: User, idOrToken: string): Promise<void> {
  const row = await deleteLogDrain(platform.sql, app.id, idOrToken);
  if (!row) throw new PlatError('not_found', `${idOrToken} is not a drain of ${app.name}.`);
  await audit(platform, app, user, 'drain.remove', { url: redactedDrainUrl(row.url), token: row.token });
  await platform.drains.sync();
}
