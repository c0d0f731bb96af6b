import type { Metrics } from '@plat/core';
import { describe, expect, it } from 'vitest';
import { latestByName, megabytes, summarize, usageText } from './summary.js';

const MB = 1024 ** 2;
const point = (memory: number, cpu: number, restarts = 0) => ({
  at: '2026-11-29T10:00:00.000Z',
  cpu_percent: cpu,
  memory_bytes: memory * MB,
  memory_limit_bytes: 512 * MB,
  rx_bytes: 0,
  tx_bytes: 0,
  restarts,
});

const metrics: Metrics = {
  since: '2026-11-29T09:00:00.000Z',
  step: 10,
  series: [
    { kind: 'dyno', type: 'web', name: 'web.1', points: [point(100, 2), point(500, 4, 1)] },
    { kind: 'dyno', type: 'web', name: 'web.2', points: [point(200, 6)] },
    { kind: 'addon', type: 'redis-1', name: 'redis-1', points: [point(10, 1)] },
  ],
};

describe('metrics summary', () => {
  it('sums up per process type: averages, peaks, restarts and R14 points', () => {
    expect(summarize(metrics)).toEqual([
      {
        kind: 'dyno',
        type: 'web',
        containers: 2,
        memoryAvg: (800 / 3) * MB,
        memoryMax: 500 * MB,
        limit: 512 * MB,
        cpuAvg: 4,
        cpuMax: 6,
        restarts: 1,
        overQuota: 1,
      },
      expect.objectContaining({ kind: 'addon', type: 'redis-1', containers: 1, restarts: 0 }),
    ]);
  });

  it("shows each dyno's newest point as plat ps does", () => {
    const latest = latestByName(metrics);
    expect(usageText(latest.get('web.1')!)).toBe('mem 500MB/512MB (98%), cpu 4.0%');
    expect(megabytes(1536 * MB)).toBe('1.5GB');
  });
});
