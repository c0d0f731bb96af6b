import type { LogHub } from '../logs/log-hub.js';
import type { Sql } from '../store/database.js';
import { liveApps, openAlert, resolveAlert, type AlertRow } from '../store/alerts.js';
import type { Webhooks } from '../webhooks/webhooks.js';
import type { AlertKind, WantedAlert } from './rules.js';

export interface AlertsDeps {
  sql: Sql;
  logs: LogHub;
  webhooks: Webhooks;
  log(line: string): void;
}

/** An alert as webhooks carry it (`resource: "alert"`) and the API shows it. */
export function presentAlert(row: AlertRow) {
  return {
    id: row.id,
    app: row.app_id && row.app_name ? { id: row.app_id, name: row.app_name } : null,
    kind: row.kind,
    subject: row.subject,
    message: row.message,
    state: row.resolved_at ? ('resolved' as const) : ('open' as const),
    opened_at: row.opened_at.toISOString(),
    resolved_at: row.resolved_at?.toISOString() ?? null,
  };
}

/**
 * Opens and resolves alerts. Each opening and each resolution is said once:
 * a `plat[alerts]` line in the app's log (every app's, for a platform
 * alert), an `alert` webhook event, and platd's own log. Callers do not
 * wait on it and it never throws: an alert must not fail what raised it.
 */
export class Alerts {
  readonly #deps: AlertsDeps;

  constructor(deps: AlertsDeps) {
    this.#deps = deps;
  }

  async raise(alert: WantedAlert): Promise<void> {
    try {
      const { row, opened } = await openAlert(this.#deps.sql, alert);
      if (opened) await this.#announce(row, 'create', `ALERT ${row.kind} ${row.subject}: ${row.message}`);
    } catch (error) {
      this.#deps.log(`alerts: raising ${alert.kind} ${alert.subject} failed: ${(error as Error).message}`);
    }
  }

  async resolve(alert: { appId: string | null; kind: AlertKind; subject: string }): Promise<void> {
    try {
      const row = await resolveAlert(this.#deps.sql, alert);
      if (row) await this.#announce(row, 'update', `RESOLVED ${row.kind} ${row.subject}: ${row.message}`);
    } catch (error) {
      this.#deps.log(`alerts: resolving ${alert.kind} ${alert.subject} failed: ${(error as Error).message}`);
    }
  }

  async #announce(row: AlertRow, action: 'create' | 'update', line: string): Promise<void> {
    const { logs, webhooks } = this.#deps;
    const apps = row.app_id && row.app_name ? [{ id: row.app_id, name: row.app_name }] : await liveApps(this.#deps.sql);
    const data = presentAlert(row);
    for (const app of apps) {
      logs.write(app.id, { source: 'plat', dyno: 'alerts', line });
      webhooks.emit({ app, include: 'alert', action, data });
    }
    this.#deps.log(`alerts: ${row.app_name ?? 'platform'}: ${line}`);
  }
}
