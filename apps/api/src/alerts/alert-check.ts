import { statfsSync } from 'node:fs';
import { certificatesForAlerts, liveApps, openAlertsOf, pruneResolvedAlerts } from '../store/alerts.js';
import type { Platform } from '../platform.js';
import type { Sql } from '../store/database.js';
import type { Alerts } from './alerts.js';
import {
  CHECKED_KINDS,
  CRASH_LOOP_RESTARTS,
  certificateAlerts,
  crashLoopAlerts,
  diskAlert,
  reconcileAlerts,
  type AlertKind,
  type DiskUsage,
} from './rules.js';

export interface AlertCheckDeps {
  sql: Sql;
  alerts: Alerts;
  dataDir: string;
  /** Dynos crashing again and again now, by app name (the controller's crash backoff). */
  crashLoops(now: number): { app: string; dyno: string; restarts: number; exitCode: number }[];
  log(line: string): void;
  /** The data dir's disk; tests put a stand-in here. */
  disk?: (path: string) => DiskUsage | undefined;
}

const KEEP_RESOLVED_MS = 30 * 24 * 3600_000;

function statDisk(path: string): DiskUsage | undefined {
  try {
    const fs = statfsSync(path);
    // bavail: what unprivileged writers (and PostgreSQL) can still use.
    return { path, totalBytes: fs.blocks * fs.bsize, freeBytes: fs.bavail * fs.bsize };
  } catch {
    return undefined;
  }
}

/**
 * The periodic check: gathers certificates, crash loops and the data dir's
 * disk, and opens or resolves the alerts they call for (rules.ts).
 */
export class AlertCheck {
  readonly #deps: AlertCheckDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: AlertCheckDeps) {
    this.#deps = deps;
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.check(), intervalMs);
    this.#timer.unref();
    void this.check();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** One check; a check still under way is waited for, not doubled. */
  check(now = new Date()): Promise<void> {
    this.#running ??= this.#check(now)
      .catch((error: Error) => this.#deps.log(`alerts: a check failed: ${error.message}`))
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }

  async #check(now: Date): Promise<void> {
    const { sql, alerts } = this.#deps;
    const crashLoops = this.#deps.crashLoops(now.getTime());
    // Every app's name and id, read only when some app is crash looping: at hundreds of apps, most minutes none is.
    const ids = new Map(crashLoops.length ? (await liveApps(sql)).map((app) => [app.name, app.id]) : []);
    const loops = crashLoops.flatMap((loop) => {
      const appId = ids.get(loop.app);
      return appId ? [{ ...loop, appId }] : [];
    });
    const certs = (await certificatesForAlerts(sql)).map((row) => ({
      appId: row.app_id,
      source: row.source,
      hostname: row.hostname,
      hostnames: row.hostnames,
      notAfter: row.not_after,
      failures: row.failures,
      lastError: row.last_error,
    }));
    const wanted = [
      ...certificateAlerts(certs, now),
      ...crashLoopAlerts(loops),
      ...diskAlert((this.#deps.disk ?? statDisk)(this.#deps.dataDir)),
    ];
    const open = (await openAlertsOf(sql, CHECKED_KINDS)).map((row) => ({
      appId: row.app_id,
      kind: row.kind as AlertKind,
      subject: row.subject,
      message: row.message,
    }));
    const plan = reconcileAlerts(open, wanted);
    for (const alert of plan.raise) await alerts.raise(alert);
    for (const alert of plan.resolve) await alerts.resolve(alert);
    await pruneResolvedAlerts(sql, KEEP_RESOLVED_MS);
  }
}

/** The check over a running platd's state, controller and data dir. */
export function alertCheckFor(platform: Platform): AlertCheck {
  return new AlertCheck({
    sql: platform.sql,
    alerts: platform.alerts,
    dataDir: platform.settings.dataDir,
    crashLoops: (now) => platform.controller.crashLoops(now, CRASH_LOOP_RESTARTS),
    log: platform.log,
  });
}
