import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { LogHub } from '../logs/log-hub.js';
import type { LogLine } from '../logs/log-line.js';
import type { Sql } from '../store/database.js';
import { allLogDrains, type LogDrainTarget } from '../store/drains.js';
import { DEFAULT_LIMITS, DrainDelivery, type DeliveryLimits } from './drain-delivery.js';
import { drainSender, type DrainSender, type SenderOptions } from './drain-sender.js';
import { parseDrainUrl, type DrainTarget } from './drain-url.js';

export interface DrainSettings {
  /** PLAT_DRAINS_ALLOW_PRIVATE=1: drains may reach loopback, private and this host's addresses. */
  allowPrivate: boolean;
  /** PLAT_DRAINS_CA_FILE: PEM CAs trusted for drains besides the system's. */
  caFile?: string;
}

const SYNC_EVERY_MS = 30_000;
const TIMEOUT_MS = 10_000;

interface AppDrains {
  name: string;
  deliveries: Map<string, DrainDelivery>;
  unsubscribe: () => void;
}

/**
 * Every app's drains: each line of an app's log stream, exactly what
 * `plat logs --tail` shows (dynos, router, builds, platform), is handed to
 * each of its drains' deliveries as it is written. Which drains exist comes
 * from the database: read at start, after each change, and every 30 s, so
 * renamed and destroyed apps are caught up with.
 */
export class DrainHub {
  readonly #sql: Sql;
  readonly #logs: LogHub;
  readonly #settings: DrainSettings;
  readonly #log: (line: string) => void;
  readonly #limits: DeliveryLimits;
  readonly #senderFor: (target: DrainTarget, options: SenderOptions) => DrainSender;
  readonly #apps = new Map<string, AppDrains>();
  #ca: string[] | undefined;
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> = Promise.resolve();

  constructor(deps: {
    sql: Sql;
    logs: LogHub;
    settings: DrainSettings;
    log: (line: string) => void;
    limits?: Partial<DeliveryLimits>;
    senderFor?: (target: DrainTarget, options: SenderOptions) => DrainSender;
  }) {
    this.#sql = deps.sql;
    this.#logs = deps.logs;
    this.#settings = deps.settings;
    this.#log = deps.log;
    this.#limits = { ...DEFAULT_LIMITS, ...deps.limits };
    this.#senderFor = deps.senderFor ?? drainSender;
  }

  async start(): Promise<void> {
    if (this.#settings.caFile) {
      // Read once, at start: a CA file that cannot be read stops platd with the reason, not each delivery.
      this.#ca = [...rootCertificates, readFileSync(this.#settings.caFile, 'utf8')];
    }
    await this.sync();
    this.#timer = setInterval(() => {
      this.sync().catch((error: Error) => this.#log(`drains: reading the drains failed: ${error.message}`));
    }, SYNC_EVERY_MS);
    this.#timer.unref();
  }

  /** Makes the deliveries match the drains in the database; calls run one after another. */
  sync(): Promise<void> {
    const next = this.#syncing.then(() => this.#sync());
    this.#syncing = next.catch(() => {});
    return next;
  }

  /** Why the drain's deliveries are failing now, if they are. */
  lastError(drainId: string): string | undefined {
    for (const app of this.#apps.values()) {
      const delivery = app.deliveries.get(drainId);
      if (delivery) return delivery.lastError;
    }
    return undefined;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const app of this.#apps.values()) this.#drop(app);
    this.#apps.clear();
  }

  async #sync(): Promise<void> {
    const rows = await allLogDrains(this.#sql);
    const byApp = new Map<string, LogDrainTarget[]>();
    for (const row of rows) byApp.set(row.app_id, [...(byApp.get(row.app_id) ?? []), row]);
    for (const [appId, app] of this.#apps) {
      const wanted = byApp.get(appId);
      // A renamed app's router lines are in a file of its new name: follow that one instead.
      if (!wanted || wanted[0]!.app_name !== app.name) {
        this.#drop(app);
        this.#apps.delete(appId);
        continue;
      }
      for (const [id, delivery] of app.deliveries) {
        if (wanted.some((row) => row.id === id)) continue;
        delivery.close();
        app.deliveries.delete(id);
      }
    }
    for (const [appId, drains] of byApp) {
      let app = this.#apps.get(appId);
      if (!app) {
        const deliveries = new Map<string, DrainDelivery>();
        const unsubscribe = this.#logs.subscribe({ id: appId, name: drains[0]!.app_name }, (line: LogLine) => {
          for (const delivery of deliveries.values()) delivery.push(line);
        });
        app = { name: drains[0]!.app_name, deliveries, unsubscribe };
        this.#apps.set(appId, app);
      }
      for (const drain of drains) {
        if (app.deliveries.has(drain.id)) continue;
        const delivery = this.#delivery(appId, drain);
        if (delivery) app.deliveries.set(drain.id, delivery);
      }
    }
  }

  #delivery(appId: string, drain: LogDrainTarget): DrainDelivery | undefined {
    let target: DrainTarget;
    try {
      target = parseDrainUrl(drain.url);
    } catch (error) {
      this.#log(`drains: ${drain.app_name}: not delivering to drain ${drain.token}: ${(error as Error).message}`);
      return undefined;
    }
    const sender = this.#senderFor(target, {
      token: drain.token,
      allowPrivate: this.#settings.allowPrivate,
      timeoutMs: TIMEOUT_MS,
      ...(this.#ca ? { ca: this.#ca } : {}),
    });
    return new DrainDelivery({
      token: drain.token,
      sender,
      limits: this.#limits,
      report: (line) => this.#logs.write(appId, { source: 'plat', dyno: 'drains', line }),
    });
  }

  #drop(app: AppDrains): void {
    app.unsubscribe();
    for (const delivery of app.deliveries.values()) delivery.close();
  }
}
