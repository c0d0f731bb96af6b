import { describe, expect, it } from 'vitest';
import { type ContainerStats, cpuPercent, memoryUsed, overQuota, parseDockerStats } from './container-stats.js';
import { chooseStep, parseSince, toSeries } from './metrics-query.js';
import { bucketStart, type MetricPoint, r14Due, rollupWindow, toPoint } from './rollup.js';

const source = {
  containerId: 'c1',
  kind: 'dyno' as const,
  appId: 'app-1',
  app: 'hello',
  type: 'web',
  name: 'web.1',
  releaseId: 'r1',
};

function stats(overrides: Partial<ContainerStats> = {}): ContainerStats {
  return {
    ...source,
    at: new Date('2026-11-29T10:00:04Z'),
    cpu: { total: 2_000_000_000, system: 20_000_000_000, onlineCpus: 2 },
    precpu: { total: 1_000_000_000, system: 10_000_000_000 },
    memory: { usage: 300 * 1024 ** 2, inactiveFile: 100 * 1024 ** 2, limit: 512 * 1024 ** 2 },
    network: { rx: 1000, tx: 2000 },
    ...overrides,
  };
}

function point(at: string, overrides: Partial<MetricPoint> = {}): MetricPoint {
  return {
    app_id: 'app-1',
    at: new Date(at),
    step: 10,
    kind: 'dyno',
    type: 'web',
    name: 'web.1',
    cpu_percent: 10,
    memory_bytes: 100,
    memory_limit_bytes: 1000,
    rx_bytes: 1,
    tx_bytes: 1,
    restarts: 0,
    ...overrides,
  };
}

describe('container stats', () => {
  it('computes CPU as docker stats does: the share of host CPU time times the CPUs online', () => {
    // 1 s of container CPU in 10 s of host CPU time over 2 CPUs: 20% (of one CPU).
    expect(cpuPercent(stats())).toBeCloseTo(20);
    expect(cpuPercent(stats({ precpu: { total: 0, system: 0 } }))).toBe(0);
    expect(cpuPercent(stats({ cpu: { total: 1, system: 10_000_000_000, onlineCpus: 2 } }))).toBe(0);
  });

  it('counts memory less reclaimable cache, and R14 from 95% of the limit', () => {
    expect(memoryUsed(stats().memory)).toBe(200 * 1024 ** 2);
    expect(memoryUsed({ usage: 5, inactiveFile: 9, limit: 10 })).toBe(0);
    expect(overQuota(949, 1000)).toBe(false);
    expect(overQuota(950, 1000)).toBe(true);
    expect(overQuota(950, 0)).toBe(false);
  });

  it("parses Docker's stats JSON (cgroup v1 and v2), summing the interfaces", () => {
    const parsed = parseDockerStats(source, {
      read: '2026-11-29T10:00:04.5Z',
      cpu_stats: { cpu_usage: { total_usage: 5 }, system_cpu_usage: 50, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 4 }, system_cpu_usage: 40 },
      memory_stats: { usage: 1000, limit: 4000, stats: { inactive_file: 100 } },
      networks: { eth0: { rx_bytes: 10, tx_bytes: 20 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
    });
    expect(parsed).toMatchObject({
      at: new Date('2026-11-29T10:00:04.5Z'),
      cpu: { total: 5, system: 50, onlineCpus: 4 },
      precpu: { total: 4, system: 40 },
      memory: { usage: 1000, inactiveFile: 100, limit: 4000 },
      network: { rx: 11, tx: 22 },
    });
    const v1 = parseDockerStats(source, {
      read: '0001-01-01T00:00:00Z',
      memory_stats: { stats: { total_inactive_file: 7 } },
    });
    expect(v1.memory.inactiveFile).toBe(7);
    expect(v1.at.getTime()).toBeGreaterThan(0);
  });
});

describe('points and roll-ups', () => {
  it('dates a 10 s point at the start of its tick', () => {
    const made = toPoint(stats(), { tick: new Date('2026-11-29T10:00:17.3Z'), restarts: 2 });
    expect(made).toMatchObject({
      at: new Date('2026-11-29T10:00:10Z'),
      step: 10,
      cpu_percent: 20,
      memory_bytes: 200 * 1024 ** 2,
      memory_limit_bytes: 512 * 1024 ** 2,
      rx_bytes: 1000,
      tx_bytes: 2000,
      restarts: 2,
    });
    expect(bucketStart(new Date('2026-11-29T10:07:59Z'), 300)).toEqual(new Date('2026-11-29T10:05:00Z'));
  });

  it('rolls up from the newest bucket rolled up to the one still filling, never from a partly pruned one', () => {
    const now = new Date('2026-11-29T10:07:03Z');
    expect(rollupWindow(new Date('2026-11-29T09:50:00Z'), now)).toEqual({
      from: new Date('2026-11-29T09:50:00Z'),
      to: new Date('2026-11-29T10:05:00Z'),
    });
    // Nothing rolled up yet, or the newest too old: from the first bucket whose 10 s points are all kept.
    const oldestWhole = { from: new Date('2026-11-28T10:10:00Z'), to: new Date('2026-11-29T10:05:00Z') };
    expect(rollupWindow(undefined, now)).toEqual(oldestWhole);
    expect(rollupWindow(new Date('2026-11-20T00:00:00Z'), now)).toEqual(oldestWhole);
  });

  it('logs R14 at most once a minute per dyno', () => {
    expect(r14Due(undefined, 1000)).toBe(true);
    expect(r14Due(1000, 60_999)).toBe(false);
    expect(r14Due(1000, 61_000)).toBe(true);
  });
});

describe('metrics queries', () => {
  const now = new Date('2026-11-29T12:00:00Z');

  it('takes since as a duration or a time, no further back than 30 days, 1 h by default', () => {
    expect(parseSince(undefined, now)).toEqual(new Date('2026-11-29T11:00:00Z'));
    expect(parseSince('30m', now)).toEqual(new Date('2026-11-29T11:30:00Z'));
    expect(parseSince('2d', now)).toEqual(new Date('2026-11-27T12:00:00Z'));
    expect(parseSince('2026-11-29T10:00:00Z', now)).toEqual(new Date('2026-11-29T10:00:00Z'));
    expect(parseSince('400d', now)).toEqual(new Date('2026-10-30T12:00:00Z'));
    expect(() => parseSince('2026-13-99T99:00:00Z', now)).toThrow(/Invalid since/);
  });

  it('picks 10 s points while a series stays within 2000 points, 5-minute ones beyond, unless asked', () => {
    expect(chooseStep(undefined, parseSince('5h', now), now)).toBe(10);
    expect(chooseStep(undefined, parseSince('6h', now), now)).toBe(300);
    expect(chooseStep(undefined, parseSince('25h', now), now)).toBe(300);
    expect(chooseStep('300', parseSince('1h', now), now)).toBe(300);
  });

  it('refuses a since and step that would give more than 9000 points a series, naming both', () => {
    expect(() => chooseStep('10', parseSince('26h', now), now)).toThrow(/since=.*step=10.*at most since=25h/);
    expect(chooseStep(undefined, parseSince('30d', now), now)).toBe(300);
    expect(chooseStep('10', parseSince('24h', now), now)).toBe(10);
    expect(() => chooseStep('10', parseSince('25h', now), now)).toThrow(/step=10 points are kept 24h/);
  });

  it('groups points into one series per container, dynos in number order, then add-ons', () => {
    const series = toSeries([
      point('2026-11-29T10:00:00Z', { name: 'web.10' }),
      point('2026-11-29T10:00:00Z', { kind: 'addon', type: 'redis-1', name: 'redis-1' }),
      point('2026-11-29T10:00:00Z', { name: 'web.2' }),
      point('2026-11-29T10:00:10Z', { name: 'web.2', cpu_percent: 3 }),
    ]);
    expect(series.map((s) => [s.kind, s.name, s.points.length])).toEqual([
      ['dyno', 'web.2', 2],
      ['dyno', 'web.10', 1],
      ['addon', 'redis-1', 1],
    ]);
    expect(series[0]!.points[1]).toEqual({
      at: '2026-11-29T10:00:10.000Z',
      cpu_percent: 3,
      memory_bytes: 100,
      memory_limit_bytes: 1000,
      rx_bytes: 1,
      tx_bytes: 1,
      restarts: 0,
    });
  });
});
