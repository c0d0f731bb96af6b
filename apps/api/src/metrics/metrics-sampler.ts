import type { Runtime } from '../controller/runtime.js';
import type { LogHub } from '../logs/log-hub.js';
import type { Sql } from '../store/database.js';
import { insertPoints, newestRollup, prunePoints, rollUpPoints } from '../store/metrics.js';
import { type ContainerStats, type OomKill, overQuota, type StatsSource } from './container-stats.js';
import {
  bucketStart,
  COARSE_KEEP_MS,
  COARSE_STEP,
  FINE_KEEP_MS,
  FINE_STEP,
  type MetricPoint,
  r14Due,
  rollupWindow,
  toPoint,
} from './rollup.js';

/** A container's latest stats count for a tick while younger than this; older, it is gone or stuck. */
const STALE_MS = 15_000;
const PRUNE_EVERY_MS = 10 * 60_000;

export interface MetricsSamplerDeps {
  sql: Sql;
  runtime: Runtime;
  logs: LogHub;
  /** The dyno's restarts so far (the controller's crash backoff). */
  restartsOf: (source: StatsSource) => number;
  log: (line: string) => void;
}

/**
 * Keeps the metrics of every dyno and add-on: the runtime reports each
 * container's stats, and every 10 s one tick stores a point per container
 * (one insert for all) and logs R14 for a dyno at its memory limit; once a
 * 5-minute bucket is over, the next tick rolls it up in the database from
 * the stored 10 s points. Old points are pruned on a timer.
 */
export class MetricsSampler {
  readonly #deps: MetricsSamplerDeps;
  readonly #latest = new Map<string, ContainerStats>();
  readonly #r14At = new Map<string, number>();
  /** The bucket start up to which the roll-up last ran; undefined until it has run since start-up. */
  #rolledTo: number | undefined;
  #stop: (() => void) | undefined;
  #timers: NodeJS.Timeout[] = [];
  #ticking: Promise<void> = Promise.resolve();

  constructor(deps: MetricsSamplerDeps) {
    this.#deps = deps;
  }

  async start(): Promise<void> {
    const tick = setInterval(() => void this.tick(), FINE_STEP * 1000);
    const prune = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    tick.unref();
    prune.unref();
    this.#timers = [tick, prune];
    await this.#watch();
  }

  /** Docker down at start-up must not stop platd: the watch is tried again every tick until it opens. */
  async #watch(): Promise<void> {
    if (this.#timers.length === 0) return;
    try {
      this.#stop = await this.#deps.runtime.watchStats({
        onSample: (stats) => this.#latest.set(stats.containerId, stats),
        onOom: (kill) => this.#oom(kill),
      });
    } catch (error) {
      this.#deps.log(`metrics: watching container stats failed, trying again: ${(error as Error).message}`);
      const retry = setTimeout(() => void this.#watch(), FINE_STEP * 1000);
      retry.unref();
    }
  }

  /** One tick: a point per container sampled lately, stored in one insert; then a due roll-up. Never throws. */
  tick(now = new Date()): Promise<void> {
    this.#ticking = this.#ticking
      .then(() => this.#tick(now))
      .catch((error: Error) => {
        this.#deps.log(`metrics: storing samples failed: ${error.message}`);
      });
    return this.#ticking;
  }

  async #tick(now: Date): Promise<void> {
    const points: MetricPoint[] = [];
    for (const [id, stats] of this.#latest) {
      if (now.getTime() - stats.at.getTime() > STALE_MS) {
        this.#latest.delete(id);
        continue;
      }
      const point = toPoint(stats, { tick: now, restarts: stats.kind === 'dyno' ? this.#deps.restartsOf(stats) : 0 });
      points.push(point);
      if (stats.kind === 'dyno') this.#checkQuota(stats, point, now.getTime());
    }
    await insertPoints(this.#deps.sql, points);
    await this.#rollUp(now);
  }

  /**
   * Rolls up the buckets over since the last roll-up (after a start, those
   * since the newest one stored). It runs in the tick's chain, after its
   * insert: every 10 s point of a bucket that is over is stored by then.
   */
  async #rollUp(now: Date): Promise<void> {
    const due = bucketStart(now, COARSE_STEP).getTime();
    if (this.#rolledTo !== undefined && due <= this.#rolledTo) return;
    try {
      const window = rollupWindow(await newestRollup(this.#deps.sql), now);
      await rollUpPoints(this.#deps.sql, window);
      this.#rolledTo = due;
    } catch (error) {
      // Tried again on the next tick; the 10 s points it needs are kept a day.
      this.#deps.log(`metrics: rolling up failed: ${(error as Error).message}`);
    }
  }

  /** Drops 10 s points after a day and 5-minute ones after 30 days. */
  async prune(now = new Date()): Promise<void> {
    try {
      await prunePoints(this.#deps.sql, [
        { step: FINE_STEP, before: new Date(now.getTime() - FINE_KEEP_MS) },
        { step: COARSE_STEP, before: new Date(now.getTime() - COARSE_KEEP_MS) },
      ]);
    } catch (error) {
      this.#deps.log(`metrics: pruning failed: ${(error as Error).message}`);
    }
  }

  /** Heroku's R14, at most once a minute per dyno. */
  #checkQuota(stats: ContainerStats, point: MetricPoint, now: number): void {
    if (!overQuota(point.memory_bytes, point.memory_limit_bytes)) return;
    const key = `${stats.appId}/${stats.name}`;
    // Only the last minute's matter: dynos scaled away or destroyed do not stay here.
    for (const [old, at] of this.#r14At) if (r14Due(at, now)) this.#r14At.delete(old);
    if (!r14Due(this.#r14At.get(key), now)) return;
    this.#r14At.set(key, now);
    const mb = (bytes: number) => `${Math.round(bytes / 1024 ** 2)}MB`;
    this.#deps.logs.write(stats.appId, {
      source: 'plat',
      dyno: stats.name,
      line: `Error R14 (Memory quota exceeded): ${mb(point.memory_bytes)} of ${mb(point.memory_limit_bytes)}`,
    });
  }

  /** Heroku's R15: the kernel killed the container for its memory. */
  #oom(kill: OomKill): void {
    this.#deps.logs.write(kill.appId, {
      source: 'plat',
      dyno: kill.name,
      line: 'Error R15 (Memory quota vastly exceeded): the process was killed for its memory',
    });
  }

  async stop(): Promise<void> {
    this.#stop?.();
    this.#stop = undefined;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#ticking;
  }
}
