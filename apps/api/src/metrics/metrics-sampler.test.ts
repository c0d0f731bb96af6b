/**
 * The sampler's ticks on this machine's PostgreSQL server: a point per
 * container per tick, and each 5-minute bucket rolled up once it is over,
 * also by a sampler started anew (platd restarted), never twice.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StatsHandlers } from '../controller/docker/stats.js';
import type { Runtime } from '../controller/runtime.js';
import type { LogHub } from '../logs/log-hub.js';
import { insertApp } from '../store/apps.js';
import type { Database } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import type { ContainerStats } from './container-stats.js';
import { MetricsSampler } from './metrics-sampler.js';

const server = backends.find((backend) => backend.name === 'PostgreSQL server')!;

describe('metrics sampler', () => {
  let database: Database;
  let dispose: () => Promise<void>;
  let appId: string;
  const logged: string[] = [];

  beforeAll(async () => {
    ({ database, dispose } = await server.open());
    await migrate(database.sql);
    const owner = await ensureUser(database.sql, 'sampler@example.com', false);
    appId = (await insertApp(database.sql, 'sampled', owner.id))!.id;
    // The sampler's own 10 s and 10 min timers stay still: the test ticks it at times of its choosing.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await dispose?.();
  });

  /** A sampler over a runtime whose stats the test feeds. */
  async function startSampler(): Promise<{ sampler: MetricsSampler; feed: (name: string, at: number) => void }> {
    let handlers: StatsHandlers | undefined;
    const runtime = {
      watchStats: async (given: StatsHandlers) => {
        handlers = given;
        return () => {};
      },
    } as unknown as Runtime;
    const sampler = new MetricsSampler({
      sql: database.sql,
      runtime,
      logs: { write: () => {} } as unknown as LogHub,
      restartsOf: () => 0,
      log: (line) => logged.push(line),
    });
    await sampler.start();
    const feed = (name: string, at: number) => {
      const stats: ContainerStats = {
        containerId: `c-${name}`,
        kind: 'dyno',
        appId,
        app: 'sampled',
        type: 'web',
        name,
        releaseId: 'r1',
        at: new Date(at),
        cpu: { total: 2e9, system: 20e9, onlineCpus: 1 },
        precpu: { total: 1e9, system: 10e9 },
        memory: { usage: (at % 300_000) / 1000, inactiveFile: 0, limit: 1e9 },
        network: { rx: at / 1000, tx: 0 },
      };
      handlers!.onSample(stats);
    };
    return { sampler, feed };
  }

  const rows = (step: number) =>
    database.sql<{ name: string; at: Date; memory_bytes: string; rx_bytes: string }[]>`
      select name, at, memory_bytes, rx_bytes from metric_samples where step = ${step} order by at, name`;

  it('rolls each bucket up once it is over, and a restarted sampler makes the newest again, not twice', async () => {
    // Four ticks from 20 s before a 5-minute boundary, a minute back: the first bucket ends mid-way.
    const boundary = Math.floor(Date.now() / 300_000) * 300_000 - 300_000;
    const first = await startSampler();
    for (const at of [boundary - 20_000, boundary - 10_000, boundary, boundary + 10_000]) {
      first.feed('web.1', at);
      first.feed('web.2', at);
      await first.sampler.tick(new Date(at));
    }
    expect(await rows(10)).toHaveLength(8);
    const rolled = await rows(300);
    // The bucket before the boundary, one row a dyno: memory at its peak, the network counter at its last.
    expect(rolled.map((row) => [row.name, row.at.getTime()])).toEqual([
      ['web.1', boundary - 300_000],
      ['web.2', boundary - 300_000],
    ]);
    expect(rolled[0]).toMatchObject({ memory_bytes: '290', rx_bytes: String((boundary - 10_000) / 1000) });
    await first.sampler.stop();

    // platd restarted: the new sampler's first tick rolls up from the newest bucket stored.
    const second = await startSampler();
    second.feed('web.1', boundary + 300_000);
    await second.sampler.tick(new Date(boundary + 300_000));
    const again = await rows(300);
    expect(again.map((row) => [row.name, row.at.getTime()])).toEqual([
      ['web.1', boundary - 300_000],
      ['web.2', boundary - 300_000],
      ['web.1', boundary],
      ['web.2', boundary],
    ]);
    expect(again.slice(0, 2)).toEqual(rolled);
    await second.sampler.stop();
    expect(logged).toEqual([]);
  });
});
