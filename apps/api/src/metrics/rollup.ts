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
 * Rolls points into `step`-second buckets, one per container (app, kind,
 * name) and bucket: CPU is averaged; memory, the limit and the restarts are
 * the bucket's highest (a peak must not vanish in an average); network
 * counters, which only grow, keep their last value.
 */
export function rollUp(points: readonly MetricPoint[], step = COARSE_STEP): MetricPoint[] {
  const groups = new Map<string, MetricPoint[]>();
  for (const point of points) {
    const at = bucketStart(point.at, step);
    const key = `${point.app_id}\0${point.kind}\0${point.name}\0${at.getTime()}`;
    const group = groups.get(key) ?? [];
    groups.set(key, group);
    group.push(point);
  }
  return [...groups.values()].map((group) => {
    const sorted = [...group].sort((a, b) => a.at.getTime() - b.at.getTime());
    const last = sorted.at(-1)!;
    const cpu = sorted.reduce((sum, point) => sum + point.cpu_percent, 0) / sorted.length;
    return {
      ...last,
      at: bucketStart(last.at, step),
      step,
      cpu_percent: Math.round(cpu * 100) / 100,
      memory_bytes: Math.max(...sorted.map((point) => point.memory_bytes)),
      memory_limit_bytes: Math.max(...sorted.map((point) => point.memory_limit_bytes)),
      restarts: Math.max(...sorted.map((point) => point.restarts)),
    };
  });
}

/**
 * Splits points into those of buckets that are over by `now` (ready to roll
 * up) and those of the bucket still filling.
 */
export function closedBuckets(
  points: readonly MetricPoint[],
  now: Date,
  step = COARSE_STEP,
): { closed: MetricPoint[]; open: MetricPoint[] } {
  const current = bucketStart(now, step).getTime();
  const closed = points.filter((point) => bucketStart(point.at, step).getTime() < current);
  const open = points.filter((point) => bucketStart(point.at, step).getTime() >= current);
  return { closed, open };
}

/**
 * Whether an R14 line is due for a dyno now: at most one per dyno per
 * `everyMs`, given when the last one was logged.
 */
export function r14Due(lastAt: number | undefined, now: number, everyMs = 60_000): boolean {
  return lastAt === undefined || now - lastAt >= everyMs;
}
