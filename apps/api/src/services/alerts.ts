import type { Alert } from '@plat/core';
import { presentAlert } from '../alerts/alerts.js';
import type { Platform } from '../platform.js';
import { listAlerts } from '../store/alerts.js';
import { listAppsFor, type AppRow } from '../store/apps.js';
import type { User } from '../store/users.js';

const LIMIT = 200;

/**
 * Alerts of one app, or of every app the user may use, and the platform's
 * own (the data dir's disk concerns every app): open ones, or also those
 * resolved in the last 30 days.
 */
export async function alertsFor(
  platform: Platform,
  user: User,
  options: { app?: AppRow; resolved: boolean },
): Promise<Alert[]> {
  const appIds = options.app ? [options.app.id] : (await listAppsFor(platform.sql, user)).map((app) => app.id);
  const rows = await listAlerts(platform.sql, { appIds, resolved: options.resolved, limit: LIMIT });
  return rows.map(presentAlert);
}
