import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import { insertAudit } from '../store/audit.js';
import type { User } from '../store/users.js';

/** Config var values are secrets: audit events name the keys, never the values. */
export function maskConfig(changes: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(changes).map(([key, value]) => [key, value === null ? '(unset)' : '[masked]']),
  );
}

/** How an audit event reads in the app's log (source plat). */
function describeEvent(action: string, data: Record<string, unknown>): string {
  switch (action) {
    case 'formation.update':
      return `Scaled to ${(data.updates as { type: string; quantity?: number; size?: string }[])
        .map((u) => `${u.type}@${u.quantity ?? '-'}${u.size ? `:${u.size}` : ''}`)
        .join(', ')}`;
    case 'config.update':
      return `Config vars changed: ${Object.keys(data.changes as object).join(', ')}`;
    case 'release.rollback':
      return `Rolled back to ${String(data.to)} (v${String(data.version)})`;
    case 'dynos.restart':
      return `Restarting ${String(data.target)} dynos`;
    default:
      return `${action}${Object.keys(data).length ? ` ${JSON.stringify(data)}` : ''}`;
  }
}

export async function audit(
  platform: Platform,
  app: Pick<AppRow, 'id' | 'name'>,
  actor: User,
  action: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  await insertAudit(platform.sql, { appId: app.id, appName: app.name, actor: actor.email, action, data });
  platform.logs.write(app.id, {
    source: 'plat',
    dyno: 'api',
    line: `${describeEvent(action, data)} by ${actor.email}`,
  });
}
