import { type ContainerStats, cpuPercent, memoryUsed } from './container-stats.js';

/** The two resolutions kept (seconds): 10 s points for a day, 5 min points for 30 days. */
export const FINE_STEP = 10;
export const COARSE_STEP = 300;
export const FINE_KEEP_MS = 24 * 3600_000;
export const COARSE_KEEP_MS = 30 * 24 * 3600_000;

/** One stored point of one container, as metric_samples has it. */
export interface MetricPoint {
  app_id: string;
  at: Date;
  step: number;
  kind: 'dyno' | 'addon';
  type: string;
  name: string;
  cpu_percent: number;
  memory_bytes: number;
  memory_limit_bytes: number;
  rx_bytes: number;
  tx_bytes: number;
  restarts: number;
}

/** The start of the step-second bucket `at` falls in. */
export function bucketStart(at: Date, step: number): Date {
  const ms = step * 1000;
  return new Date(Math.floor(at.getTime() / ms) * ms);
}

/** A 10 s point from a container's latest stats, dated at the tick that takes it. */
export function toPoint(stats: ContainerStats, options: { tick: Date; restarts: number }): MetricPoint {
  return {
    app_id: stats.appId,
    at: bucketStart(options.tick, FINE_STEP),
    step: FINE_STEP,
    kind: stats.kind,
    type: stats.type,
    name: stats.name,
    cpu_percent: Math.round(cpuPercent(stats) * 100) / 100,
    memory_bytes: memoryUsed(stats.memory),
    memory_limit_bytes: stats.memory.limit,
    rx_bytes: stats.network.rx,
    tx_bytes: stats.network.tx,
    restarts: options.restarts,
  };
}

/**
 * Which 5-minute buckets the next roll-up makes from the stored 10 s points:
 * from the newest bucket already rolled up (made again: the same points give
 * the same row, so nothing is counted twice) to the bucket `now` falls in,
 * which is still filling and left out. Never from further back than 10 s
 * points are whole: a bucket partly pruned would come out short.
 */
export function rollupWindow(newestRolled: Date | undefined, now: Date): { from: Date; to: Date } {
  const oldestWhole = bucketStart(new Date(now.getTime() - FINE_KEEP_MS), COARSE_STEP).getTime() + COARSE_STEP * 1000;
  const from = Math.max(newestRolled?.getTime() ?? oldestWhole, oldestWhole);
  return { from: new Date(from), to: bucketStart(now, COARSE_STEP) };
}

/**
 * Whether an R14 line is due for a dyno now: at most one per dyno per
 * `everyMs`, given when the last one was logged.
 */
export function r14Due(lastAt: number | undefined, now: number, everyMs = 60_000): boolean {
  return lastAt === undefined || now - lastAt >= everyMs;
}
