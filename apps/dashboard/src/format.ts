/** Pure formatting for the dashboard's views: no DOM, unit tested. */
import type { Dyno, FormationEntry, MetricSeries } from '@plat/core';

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 → "1.5 KB"; binary steps, one decimal under 10. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** How long ago, in the largest whole unit: "just now", "5 min ago", "3 h ago", "2 d ago". */
export function timeAgo(iso: string, now: number = Date.now()): string {
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return '–';
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} d ago`;
}

/** A certificate's end: "expires 2027-02-27 (in 90 d)", "expires 2026-11-29 (today)" or "expired 2026-11-01". */
export function expiry(iso: string | null, now: number = Date.now()): string {
  const at = iso === null ? Number.NaN : Date.parse(iso);
  if (!Number.isFinite(at)) return 'no expiry known';
  const day = new Date(at).toISOString().slice(0, 10);
  if (at <= now) return `expired ${day}`;
  const days = Math.floor((at - now) / 86_400_000);
  return `expires ${day} (${days === 0 ? 'today' : `in ${days} d`})`;
}

/** "web 2/2 up, worker 0/1 up" from what should run and what runs. */
export function dynoSummary(formation: FormationEntry[], dynos: Dyno[]): string {
  const parts = formation
    .filter((entry) => entry.quantity > 0 || dynos.some((dyno) => dyno.type === entry.type))
    .map((entry) => {
      const up = dynos.filter((dyno) => dyno.type === entry.type && dyno.state === 'up').length;
      return `${entry.type} ${up}/${entry.quantity} up`;
    });
  return parts.length ? parts.join(', ') : 'no dynos';
}

/** The app's state in a word: running, crashed, starting, sleeping or stopped. */
export function appState(dynos: Dyno[]): 'running' | 'crashed' | 'starting' | 'sleeping' | 'stopped' {
  if (dynos.some((dyno) => dyno.state === 'crashed')) return 'crashed';
  if (dynos.some((dyno) => dyno.state === 'starting')) return 'starting';
  if (dynos.some((dyno) => dyno.state === 'up')) return 'running';
  if (dynos.some((dyno) => dyno.state === 'sleeping')) return 'sleeping';
  return 'stopped';
}

/** Config values shown as bullets until revealed: as many as the value is long, at most 12. */
export function masked(value: string): string {
  return '•'.repeat(Math.min(12, Math.max(4, value.length)));
}

export interface ChartData {
  /** Unix seconds, ascending. */
  times: number[];
  /** One line per name (process type or add-on), summed over its containers; null where none reported. */
  lines: { name: string; values: (number | null)[] }[];
  /** The memory limit of each name's containers (the largest seen), for the limit line. */
  limits: Record<string, number>;
  /** Times at which a container's restart count grew. */
  restarts: number[];
  /** Times at which a container used more memory than its limit (Heroku's R14). */
  overLimit: number[];
}

/**
 * Series per container → one line per process type (or add-on) for a chart:
 * memory summed, CPU summed, on the union of the sample times.
 */
export function chartData(series: MetricSeries[], metric: 'memory' | 'cpu'): ChartData {
  const times = [...new Set(series.flatMap((s) => s.points.map((p) => Math.floor(Date.parse(p.at) / 1000))))].sort(
    (a, b) => a - b,
  );
  const index = new Map(times.map((time, i) => [time, i]));
  const byType = new Map<string, (number | null)[]>();
  const limits: Record<string, number> = {};
  const restarts = new Set<number>();
  const overLimit = new Set<number>();
  for (const s of series) {
    const values = byType.get(s.type) ?? times.map(() => null);
    byType.set(s.type, values);
    let lastRestarts: number | undefined;
    for (const point of s.points) {
      const i = index.get(Math.floor(Date.parse(point.at) / 1000))!;
      const value = metric === 'memory' ? point.memory_bytes : point.cpu_percent;
      values[i] = (values[i] ?? 0) + value;
      if (point.memory_limit_bytes > 0) limits[s.type] = Math.max(limits[s.type] ?? 0, point.memory_limit_bytes);
      if (lastRestarts !== undefined && point.restarts > lastRestarts) restarts.add(times[i]!);
      if (point.memory_limit_bytes > 0 && point.memory_bytes > point.memory_limit_bytes) overLimit.add(times[i]!);
      lastRestarts = point.restarts;
    }
  }
  const lines = [...byType.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, values]) => ({ name, values }));
  const sorted = (set: Set<number>) => [...set].sort((a, b) => a - b);
  return { times, lines, limits, restarts: sorted(restarts), overLimit: sorted(overLimit) };
}

/** An SVG polyline's points for a sparkline of `values` in a width × height box (nulls skipped). */
export function sparklinePoints(values: (number | null)[], width: number, height: number): string {
  const known = values.filter((v): v is number => v !== null);
  if (known.length < 2) return '';
  const max = Math.max(...known);
  const min = Math.min(...known);
  const span = max - min || 1;
  const step = width / (values.length - 1);
  return values
    .map((v, i) =>
      v === null ? null : `${(i * step).toFixed(1)},${(height - ((v - min) / span) * height).toFixed(1)}`,
    )
    .filter((p) => p !== null)
    .join(' ');
}

/** One log line as the CLI prints it: `2026-11-23T18:00:00.000Z app[web.1]: message`. */
export function logText(line: { at: string; source: string; dyno?: string | null; line: string }): string {
  return `${line.at} ${line.source}[${line.dyno ?? line.source}]: ${line.line}`;
}
