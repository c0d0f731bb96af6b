/**
 * Eco dynos: an eco app's web dynos stop after PLAT_ECO_SLEEP_S with no
 * request, and the next request wakes them. Sleeping is a mark on the app
 * (apps.sleeping_since), which the controller reads as "no web dynos, route
 * to the wake listener"; the formation is left as it is. One timer looks at
 * the awake eco apps only; a request's time is its router log file's.
 */
import type { Sql } from '../store/database.js';
import { findApp } from '../store/apps.js';
import { awakeEcoApps, clearSleeping, markSleeping, type EcoApp } from '../store/eco-sleep.js';
import { currentRelease } from '../store/releases.js';
import type { Controller, DynoChange } from './controller.js';
import { dynoAddress } from '../router/nginx-config.js';
import type { RoutedDyno } from '../router/router.js';
import { idleApps, sleepCheckIntervalMs, wakeErrorCode, wakeSeconds } from './eco-sleep-plan.js';

export interface EcoSleepDeps {
  sql: Sql;
  controller: Pick<Controller, 'converge' | 'routeOf' | 'event'>;
  /** PLAT_ECO_SLEEP_S, in ms. */
  sleepMs: number;
  /** When the router last logged a request of the app (RouterLogFiles.lastWrittenAt). */
  lastRequestAt: (app: string) => number | undefined;
  /**
   * When bytes last moved on the router's connections to these dynos
   * (`host:port`, as nginx names them): a request still open is in no router
   * log line yet. Without it, only finished requests count.
   */
  dynoTraffic?: (peers: string[]) => Promise<Map<string, number>>;
  log: (line: string) => void;
  /** The `dyno` webhook event (platform.ts wires it, as the controller's). */
  dynoChanged?: (change: DynoChange) => void;
  now?: () => number;
}

/** A wake that could not give the request a dyno: answered with this router code (H10, R10, H14). */
export class WakeError extends Error {
  readonly code: string;
  constructor(message: string) {
    super(message);
    this.code = wakeErrorCode(message);
  }
}

export interface Awake {
  /** A ready web dyno to send the request to, where the router reaches it (127.0.0.1 without a host). */
  dyno: RoutedDyno;
}

/** Apps put to sleep at once when many go idle together. */
const SLEEPS_AT_ONCE = 16;

/** A failed boot is answered again for this long without another boot: a broken app is not booted per request. */
const FAILED_WAKE_HOLD_MS = 10_000;

export class EcoSleep {
  readonly #deps: EcoSleepDeps;
  readonly #now: () => number;
  readonly #startedAt: number;
  /** One wake per app at a time: every request that comes meanwhile waits for the same one. */
  readonly #wakes = new Map<string, Promise<void>>();
  /** When each app last woke or had a request through the wake listener, in this platd. */
  readonly #wokeAt = new Map<string, number>();
  readonly #failed = new Map<string, { at: number; message: string }>();
  readonly #next = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  constructor(deps: EcoSleepDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#startedAt = this.#now();
  }

  start(): void {
    this.#timer = setInterval(() => void this.check(), sleepCheckIntervalMs(this.#deps.sleepMs));
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Puts the eco apps idle for PLAT_ECO_SLEEP_S to sleep; one check at a time. */
  check(): Promise<void> {
    this.#checking ??= this.#check()
      .catch((error: Error) => this.#deps.log(`the eco sleep check failed: ${error.message}`))
      .finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  /** Which of these apps have had no request (nor a wake) for PLAT_ECO_SLEEP_S, as of now. */
  #idle(apps: EcoApp[]): EcoApp[] {
    const { controller } = this.#deps;
    return idleApps({
      apps,
      lastRequestAt: this.#deps.lastRequestAt,
      lastWokeAt: (app) => this.#wokeAt.get(app),
      // Nothing routed (never deployed, crashed, maintenance) has no dyno to stop; a wake under way is not idle.
      skip: (app) => this.#wakes.has(app) || (controller.routeOf(app)?.dynos.length ?? 0) === 0,
      startedAt: this.#startedAt,
      now: this.#now(),
      sleepMs: this.#deps.sleepMs,
    });
  }

  async #check(): Promise<void> {
    const awake = await awakeEcoApps(this.#deps.sql);
    this.#prune(new Set(awake.map((app) => app.name)));
    const idle = await this.#withoutOpenTraffic(this.#idle(awake));
    // Side by side, a few at a time: the router makes one reload of the route changes that queue meanwhile.
    const queue = [...idle];
    const sleeper = async () => {
      for (let app = queue.shift(); app; app = queue.shift()) {
        await this.#sleep(app).catch((error: Error) =>
          this.#deps.log(`putting ${app.name} to sleep failed: ${error.message}`),
        );
      }
    };
    await Promise.all(Array.from({ length: Math.min(SLEEPS_AT_ONCE, queue.length) }, sleeper));
  }

  /**
   * Of the apps idle by their router logs, those with no bytes moved to
   * their dynos for PLAT_ECO_SLEEP_S either: a stream or a websocket open
   * that long keeps its app awake. Asked only of apps about to sleep.
   */
  async #withoutOpenTraffic(apps: EcoApp[]): Promise<EcoApp[]> {
    const { dynoTraffic, controller } = this.#deps;
    if (!dynoTraffic || apps.length === 0) return apps;
    const peersOf = (app: EcoApp) => (controller.routeOf(app.name)?.dynos ?? []).map(dynoAddress);
    const traffic = await dynoTraffic(apps.flatMap(peersOf)).catch((error: Error) => {
      this.#deps.log(`the eco sleep check could not read the router's connections: ${error.message}`);
      return new Map<string, number>();
    });
    const now = this.#now();
    return apps.filter((app) => peersOf(app).every((peer) => now - (traffic.get(peer) ?? 0) >= this.#deps.sleepMs));
  }

  /**
   * Forgets what it keeps per app name for apps no longer awake and eco
   * (asleep, destroyed, renamed, resized): the maps stay as small as the
   * awake eco apps. A failed wake's hold runs out first.
   */
  #prune(awake: Set<string>): void {
    const gone = (name: string) => !awake.has(name) && !this.#wakes.has(name);
    for (const name of [...this.#wokeAt.keys()].filter(gone)) this.#wokeAt.delete(name);
    for (const name of [...this.#next.keys()].filter(gone)) this.#next.delete(name);
    const now = this.#now();
    for (const [name, failed] of this.#failed)
      if (gone(name) && now - failed.at >= FAILED_WAKE_HOLD_MS) this.#failed.delete(name);
  }

  /** How many per-app entries it keeps: bounded by the awake eco apps and failed wakes on hold (tests). */
  entries(): number {
    return this.#wokeAt.size + this.#next.size + this.#failed.size;
  }

  async #sleep(app: EcoApp): Promise<void> {
    const { sql, controller } = this.#deps;
    // Asked again just before: while earlier apps of this pass went to sleep, a request may have come or opened.
    if (this.#idle([app]).length === 0 || (await this.#withoutOpenTraffic([app])).length === 0) return;
    if (!(await markSleeping(sql, app.id, new Date(this.#now())))) return;
    const idleFor = Math.round(this.#deps.sleepMs / 1000);
    controller.event(app.name, 'web', `sleeping: no request for ${idleFor} s (eco); the next request wakes it`);
    this.#deps.log(`${app.name}: sleeping (eco, no request for ${idleFor} s)`);
    const release = await currentRelease(sql, app.id);
    for (let index = 1; index <= app.quantity && release; index += 1) {
      this.#deps.dynoChanged?.({ app: app.name, dyno: `web.${index}`, releaseId: release.id, state: 'sleeping' });
    }
    this.#wokeAt.delete(app.name);
    await controller.converge(app.name);
  }

  /**
   * A ready web dyno of the app for a request the router held: at once when
   * the app is awake, else after the wake that this request starts or
   * joins. Rejects with a WakeError the request is answered with.
   */
  async wake(appName: string): Promise<Awake> {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const dynos = this.#deps.controller.routeOf(appName)?.dynos ?? [];
      if (dynos.length > 0) {
        this.#wokeAt.set(appName, this.#now());
        return { dyno: this.#pick(appName, dynos) };
      }
      let waking = this.#wakes.get(appName);
      if (!waking) {
        waking = this.#wake(appName).finally(() => this.#wakes.delete(appName));
        this.#wakes.set(appName, waking);
      }
      await waking;
    }
    throw new WakeError(`H14: no web dynos running for ${appName}`);
  }

  async #wake(appName: string): Promise<void> {
    const { sql, controller } = this.#deps;
    const failed = this.#failed.get(appName);
    if (failed && this.#now() - failed.at < FAILED_WAKE_HOLD_MS) throw new WakeError(failed.message);
    const app = await findApp(sql, appName);
    if (!app || app.destroying) throw new WakeError(`H14: no web dynos running for ${appName}`);
    const wasAsleep = await clearSleeping(sql, app.id);
    if (wasAsleep) controller.event(appName, 'web', 'waking: a request came in');
    const started = this.#now();
    try {
      await controller.converge(appName);
    } catch (error) {
      // The boot failed: back to sleep, so neither the periodic converge nor every request boots it again.
      const message = firstLine((error as Error).message);
      if (wasAsleep) await markSleeping(sql, app.id, new Date(this.#now()));
      this.#failed.set(appName, { at: this.#now(), message });
      controller.event(appName, 'web', `wake failed: ${message}`);
      this.#deps.log(`${appName}: wake failed: ${message}`);
      throw new WakeError(message);
    }
    this.#failed.delete(appName);
    this.#wokeAt.set(appName, this.#now());
    if (wasAsleep) {
      const seconds = wakeSeconds(this.#now() - started);
      controller.event(appName, 'web', `awake in ${seconds} s`);
      this.#deps.log(`${appName}: awake in ${seconds} s`);
    }
  }

  /** Round robin over the app's ready web dynos. */
  #pick(appName: string, dynos: RoutedDyno[]): RoutedDyno {
    const index = (this.#next.get(appName) ?? 0) % dynos.length;
    this.#next.set(appName, index + 1);
    return dynos[index]!;
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/; its last output:$/, '');
}
