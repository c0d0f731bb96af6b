import type { Metrics } from '@plat/core';

/** Bytes as plat shows memory: `123MB`, `1.5GB`. */
export function megabytes(bytes: number): string {
  const mb = bytes / 1024 ** 2;
  return mb >= 1024 ? `${(mb / 1024).toFixed(1)}GB` : `${Math.round(mb)}MB`;
}

export interface DynoUsage {
  memory: number;
  limit: number;
  cpu: number;
}

/** Each container's newest point, by dyno (or add-on) name. */
export function latestByName(metrics: Metrics): Map<string, DynoUsage> {
  const latest = new Map<string, DynoUsage>();
  for (const series of metrics.series) {
    const point = series.points.at(-1);
    if (point)
      latest.set(series.name, { memory: point.memory_bytes, limit: point.memory_limit_bytes, cpu: point.cpu_percent });
  }
  return latest;
}

/** `mem 120MB/512MB (23%), cpu 1.5%`: what plat ps adds to a dyno's line. */
export function usageText(usage: DynoUsage): string {
  const share = usage.limit > 0 ? ` (${Math.round((usage.memory / usage.limit) * 100)}%)` : '';
  return `mem ${megabytes(usage.memory)}/${megabytes(usage.limit)}${share}, cpu ${usage.cpu.toFixed(1)}%`;
}

export interface TypeSummary {
  kind: 'dyno' | 'addon';
  type: string;
  containers: number;
  /** Over the period, across the type's containers. */
  memoryAvg: number;
  memoryMax: number;
  limit: number;
  cpuAvg: number;
  cpuMax: number;
  restarts: number;
  /** Points at or over 95% of the limit (R14). */
  overQuota: number;
}

/** One line per process type (and add-on): memory and CPU, average and peak, restarts, R14 points. */
export function summarize(metrics: Metrics): TypeSummary[] {
  const byType = new Map<string, Metrics['series']>();
  for (const series of metrics.series) {
    const key = `${series.kind}\0${series.type}`;
    byType.set(key, [...(byType.get(key) ?? []), series]);
  }
  return [...byType.values()].map((group) => {
    const points = group.flatMap((series) => series.points);
    const count = Math.max(1, points.length);
    return {
      kind: group[0]!.kind,
      type: group[0]!.type,
      containers: group.length,
      memoryAvg: points.reduce((sum, point) => sum + point.memory_bytes, 0) / count,
      memoryMax: Math.max(0, ...points.map((point) => point.memory_bytes)),
      limit: Math.max(0, ...points.map((point) => point.memory_limit_bytes)),
      cpuAvg: points.reduce((sum, point) => sum + point.cpu_percent, 0) / count,
      cpuMax: Math.max(0, ...points.map((point) => point.cpu_percent)),
      restarts: group.reduce((sum, series) => sum + Math.max(0, ...series.points.map((point) => point.restarts)), 0),
      overQuota: points.filter(
        (point) => point.memory_limit_bytes > 0 && point.memory_bytes >= point.memory_limit_bytes * 0.95,
      ).length,
    };
  });
}
