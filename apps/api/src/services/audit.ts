import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import { insertAudit } from '../store/audit.js';
import type { User } from '../store/users.js';

/** Config var values are secrets: audit events name the keys, never the values. */
export function maskConfig(changes: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(changes).map(([key, value]) => [key, value === null ? '(unset)' : '[masked]']));
}

export function audit(platform: Platform, app: Pick<AppRow, 'id' | 'name'>, actor: User, action: string, data: Record<string, unknown> = {}): Promise<void> {
  return insertAudit(platform.sql, { appId: app.id, appName: app.name, actor: actor.email, action, data });
}
