import { describe, expect, it } from 'vitest';
import type { Dyno, MetricSeries } from '@plat/core';
import {
  appState,
  chartData,
  dynoSummary,
  expiry,
  formatBytes,
  logText,
  masked,
  sparklinePoints,
  timeAgo,
} from './format.js';

const dyno = (name: string, state: Dyno['state']): Dyno => ({
  id: name,
  name,
  type: name.split('.')[0]!,
  state,
  restarts: 0,
  release: 1,
  command: 'x',
  exit_code: null,
  created_at: '2026-11-29T00:00:00.000Z',
});

const point = (at: string, memory: number, cpu: number, restarts = 0) => ({
  at,
  cpu_percent: cpu,
  memory_bytes: memory,
  memory_limit_bytes: 512 * 1024 * 1024,
  rx_bytes: 0,
  tx_bytes: 0,
  restarts,
});

describe('formatting', () => {
  it('says when a certificate expires, or that it has', () => {
    const now = Date.parse('2026-11-29T12:00:00.000Z');
    expect(expiry('2027-02-27T12:00:00.000Z', now)).toBe('expires 2027-02-27 (in 90 d)');
    expect(expiry('2026-11-29T20:00:00.000Z', now)).toBe('expires 2026-11-29 (today)');
    expect(expiry('2026-11-01T00:00:00.000Z', now)).toBe('expired 2026-11-01');
    expect(expiry(null, now)).toBe('no expiry known');
  });

  it('formats bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512 MB');
    expect(formatBytes(-1)).toBe('–');
  });

  it('says how long ago', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    expect(timeAgo('2026-11-29T11:59:50Z', now)).toBe('just now');
    expect(timeAgo('2026-11-29T11:55:00Z', now)).toBe('5 min ago');
    expect(timeAgo('2026-11-29T09:00:00Z', now)).toBe('3 h ago');
    expect(timeAgo('2026-11-27T12:00:00Z', now)).toBe('2 d ago');
    expect(timeAgo('not a date', now)).toBe('–');
  });

  it('summarises dynos against the formation, and the state in a word', () => {
    const formation = [
      { type: 'web', quantity: 2, size: 'standard-1x', command: null },
      { type: 'worker', quantity: 0, size: 'standard-1x', command: null },
    ];
    const dynos = [dyno('web.1', 'up'), dyno('web.2', 'starting')];
    expect(dynoSummary(formation, dynos)).toBe('web 1/2 up');
    expect(dynoSummary([], [])).toBe('no dynos');
    expect(appState(dynos)).toBe('starting');
    expect(appState([dyno('web.1', 'up'), dyno('worker.1', 'crashed')])).toBe('crashed');
    expect(appState([])).toBe('stopped');
  });

  it('masks values', () => {
    expect(masked('ab')).toBe('••••');
    expect(masked('x'.repeat(40))).toHaveLength(12);
  });

  it('prints a log line as the CLI does', () => {
    expect(logText({ at: '2026-11-29T00:00:00.000Z', source: 'app', dyno: 'web.1', line: '<script>' })).toBe(
      '2026-11-29T00:00:00.000Z app[web.1]: <script>',
    );
  });
});

describe('charts', () => {
  it('sums containers per process type on shared times, with limits and restarts', () => {
    const series: MetricSeries[] = [
      {
        kind: 'dyno',
        type: 'web',
        name: 'web.1',
        points: [point('2026-11-29T00:00:00Z', 100, 1), point('2026-11-29T00:00:10Z', 200, 2, 1)],
      },
      { kind: 'dyno', type: 'web', name: 'web.2', points: [point('2026-11-29T00:00:10Z', 600 * 1024 * 1024, 3)] },
      { kind: 'addon', type: 'redis-1', name: 'redis-1', points: [point('2026-11-29T00:00:00Z', 7, 0)] },
    ];
    const memory = chartData(series, 'memory');
    const t0 = Date.parse('2026-11-29T00:00:00Z') / 1000;
    expect(memory.times).toEqual([t0, t0 + 10]);
    expect(memory.lines).toEqual([
      { name: 'redis-1', values: [7, null] },
      { name: 'web', values: [100, 200 + 600 * 1024 * 1024] },
    ]);
    expect(memory.limits.web).toBe(512 * 1024 * 1024);
    expect(memory.restarts).toEqual([t0 + 10]);
    expect(memory.overLimit).toEqual([t0 + 10]);
    expect(chartData(series, 'cpu').lines[1]!.values).toEqual([1, 5]);
  });

  it('draws a sparkline in its box, or nothing with under two values', () => {
    expect(sparklinePoints([0, 10], 100, 20)).toBe('0.0,20.0 100.0,0.0');
    expect(sparklinePoints([null, 5, null], 100, 20)).toBe('');
    expect(sparklinePoints([1, null, 3], 10, 10)).toBe('0.0,10.0 10.0,0.0');
  });
});
