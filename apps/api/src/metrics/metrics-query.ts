import { PlatError } from '@plat/core';
import { COARSE_KEEP_MS, COARSE_STEP, FINE_KEEP_MS, FINE_STEP, type MetricPoint } from './rollup.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 } as const;
const DEFAULT_SINCE_MS = 3600_000;

/** `since` as the API takes it (a duration back from now, or an ISO time), no further back than anything is kept. */
export function parseSince(raw: string | undefined, now: Date): Date {
  const oldest = now.getTime() - COARSE_KEEP_MS;
  if (raw === undefined) return new Date(now.getTime() - DEFAULT_SINCE_MS);
  const duration = /^(\d+)([smhd])$/.exec(raw);
  const at = duration
    ? now.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]
    : Date.parse(raw);
  if (Number.isNaN(at))
    throw new PlatError('invalid_params', `Invalid since ${JSON.stringify(raw)}: use 1h or an ISO time.`);
  return new Date(Math.max(at, oldest));
}

/** Most points one series of a response may have: 30 days of 5-minute points (8640), all the store keeps. */
export const MAX_POINTS_PER_SERIES = 9_000;
/** With no step asked for, the finest resolution that gives a chart's worth of points. */
const CHART_POINTS = 2_000;

/**
 * The resolution asked for, or the finest one still kept that far back that
 * gives at most MAX_POINTS_PER_SERIES points a series; a `since` and `step`
 * that would give more are refused, saying what fits.
 */
export function chooseStep(raw: string | undefined, since: Date, now: Date): number {
  const spanMs = Math.max(0, now.getTime() - since.getTime());
  const points = (step: number) => Math.ceil(spanMs / (step * 1000));
  const step =
    raw !== undefined
      ? Number(raw)
      : spanMs <= FINE_KEEP_MS && points(FINE_STEP) <= CHART_POINTS
        ? FINE_STEP
        : COARSE_STEP;
  if (points(step) > MAX_POINTS_PER_SERIES) {
    const most = (MAX_POINTS_PER_SERIES * step) / 3600;
    const mostText = most >= 48 ? `${Math.floor(most / 24)}d` : `${Math.floor(most)}h`;
    throw new PlatError(
      'invalid_params',
      `since=${since.toISOString()} at step=${step} gives ${points(step)} points per series, more than ` +
        `${MAX_POINTS_PER_SERIES}: ask for at most since=${mostText}` +
        (step < COARSE_STEP ? ` at step=${step}, or use step=${COARSE_STEP}.` : '.'),
    );
  }
  // Within the limit, yet further back than 10 s points are kept: the oldest part would come back empty.
  if (step === FINE_STEP && spanMs > FINE_KEEP_MS)
    throw new PlatError(
      'invalid_params',
      `step=${FINE_STEP} points are kept ${FINE_KEEP_MS / 3_600_000}h: ask for since=24h or less, ` +
        `or use step=${COARSE_STEP}.`,
    );
  return step;
}

export interface Series {
  kind: 'dyno' | 'addon';
  type: string;
  name: string;
  /** A stored point without what the series already says, its time as text. */
  points: (Omit<MetricPoint, 'app_id' | 'at' | 'step' | 'kind' | 'type' | 'name'> & { at: string })[];
}

/** Points (oldest first) as one series per container: dynos by type and number, then add-ons. */
export function toSeries(points: readonly MetricPoint[]): Series[] {
  const byName = new Map<string, Series>();
  for (const point of points) {
    const key = `${point.kind}\0${point.name}`;
    let series = byName.get(key);
    if (!series) {
      series = { kind: point.kind, type: point.type, name: point.name, points: [] };
      byName.set(key, series);
    }
    series.points.push({
      at: point.at.toISOString(),
      cpu_percent: point.cpu_percent,
      memory_bytes: point.memory_bytes,
      memory_limit_bytes: point.memory_limit_bytes,
      rx_bytes: point.rx_bytes,
      tx_bytes: point.tx_bytes,
      restarts: point.restarts,
    });
  }
  return [...byName.values()].sort(
    (a, b) => b.kind.localeCompare(a.kind) || a.name.localeCompare(b.name, 'en', { numeric: true }),
  );
}
