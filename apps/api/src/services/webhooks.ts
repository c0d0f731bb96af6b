import { PlatError, type Webhook, type WebhookCreate, type WebhookDelivery, type WebhookUpdate } from '@plat/core';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import type { User } from '../store/users.js';
import {
  deleteWebhook,
  findWebhook,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  MAX_WEBHOOKS_PER_APP,
  updateWebhook,
  type DeliveryRow,
  type WebhookRow,
} from '../store/webhooks.js';
import { parseIncludes, parseLevel } from '../webhooks/entities.js';
import { newWebhookSecret } from '../webhooks/signature.js';
import { checkWebhookUrl } from '../webhooks/target.js';
import { audit } from './audit.js';

export function presentWebhook(app: Pick<AppRow, 'id' | 'name'>, row: WebhookRow): Webhook {
  return {
    id: row.id,
    app: { id: app.id, name: app.name },
    url: row.url,
    include: row.include,
    level: row.level,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export function presentDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhook: { id: row.webhook_id },
    event: { id: row.event_id, include: row.include },
    status: row.status,
    num_attempts: row.attempts,
    next_attempt_at: row.next_attempt_at?.toISOString() ?? null,
    last_attempt: row.attempts > 0 ? { code: row.last_code, error: row.last_error } : null,
    codes: row.codes,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export async function addWebhook(
  platform: Platform,
  app: AppRow,
  user: User,
  request: WebhookCreate,
): Promise<{ row: WebhookRow; secret: string | null }> {
  const url = checkWebhookUrl(request.url).toString();
  const include = parseIncludes(request.include);
  const level = parseLevel(request.level);
  const secret = request.secret ?? newWebhookSecret();
  const row = await insertWebhook(platform.sql, { appId: app.id, url, include, level, secret });
  if (!row)
    throw new PlatError(
      'quota_exceeded',
      `${app.name} has ${MAX_WEBHOOKS_PER_APP} webhooks already: remove one first.`,
    );
  await audit(platform, app, user, 'webhook.add', { url, include });
  return { row, secret: request.secret === undefined ? secret : null };
}

export async function changeWebhook(
  platform: Platform,
  app: AppRow,
  user: User,
  id: string,
  changes: WebhookUpdate,
): Promise<WebhookRow> {
  const row = await updateWebhook(platform.sql, app.id, id, {
    ...(changes.url !== undefined ? { url: checkWebhookUrl(changes.url).toString() } : {}),
    ...(changes.include !== undefined ? { include: parseIncludes(changes.include) } : {}),
    ...(changes.level !== undefined ? { level: parseLevel(changes.level) } : {}),
    ...(changes.secret !== undefined ? { secret: changes.secret } : {}),
  });
  if (!row) throw new PlatError('not_found', `Couldn't find webhook ${id} of ${app.name}.`);
  await audit(platform, app, user, 'webhook.update', { id, fields: Object.keys(changes) });
  return row;
}

export async function webhookOf(platform: Platform, app: AppRow, id: string): Promise<WebhookRow> {
  const row = await findWebhook(platform.sql, app.id, id);
  if (!row) throw new PlatError('not_found', `Couldn't find webhook ${id} of ${app.name}.`);
  return row;
}

export async function removeWebhook(platform: Platform, app: AppRow, user: User, id: string): Promise<void> {
  if (!(await deleteWebhook(platform.sql, app.id, id)))
    throw new PlatError('not_found', `Couldn't find webhook ${id} of ${app.name}.`);
  await audit(platform, app, user, 'webhook.remove', { id });
}

export const appWebhooks = (platform: Platform, app: AppRow) => listWebhooks(platform.sql, app.id);

export async function appDeliveries(
  platform: Platform,
  app: AppRow,
  options: { webhook?: string; limit?: string },
): Promise<WebhookDelivery[]> {
  const rows = await listDeliveries(platform.sql, app.id, {
    ...(options.webhook ? { webhookId: options.webhook } : {}),
    limit: options.limit ? Number(options.limit) : 50,
  });
  return rows.map(presentDelivery);
}
