/**
 * watchStats over a stand-in for dockerode: its listings, one-shot stats
 * replies and events stream are in the test's hands, and so is the clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ContainerStats, cpuPercent } from '../../metrics/container-stats.js';
import { fakeHost, fakeStatsDocker as fakeDocker, labelsOf } from '../../testing/fake-stats-docker.js';
import { watchStats } from './stats.js';

/** A one-shot reply at its `call`th reading: 1 s of container CPU and 10 s of host CPU time a round. */
const document = (call: number) => ({
  read: new Date().toISOString(),
  cpu_stats: { cpu_usage: { total_usage: call * 1e9 }, system_cpu_usage: call * 10e9, online_cpus: 2 },
  precpu_stats: {},
  memory_stats: { usage: 200, limit: 1000, stats: { inactive_file: 50 } },
});

const event = (action: string, id = 'c1') =>
  `${JSON.stringify({ id, Action: action, Actor: { Attributes: labelsOf('web.1') } })}\n`;

/** Lets replies (setImmediate) and the promises after them run. */
const settle = async () => {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('sampling container stats in rounds', () => {
  it('reads every listed container one-shot, at most 4 at a time, and reports CPU between rounds', async () => {
    const fake = fakeDocker({ autoReply: (_id, call) => document(call) });
    fake.list(['c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    const samples: ContainerStats[] = [];
    const stop = await watchStats(fake.docker, 'i1', { onSample: (s) => samples.push(s), onOom: () => {} });
    // The first round is only the baseline: a one-shot reply carries no previous reading.
    expect(fake.lists()).toBe(1);
    expect(fake.requests).toHaveLength(6);
    expect(fake.requests[0]!.options).toMatchObject({ stream: false, 'one-shot': true });
    expect(fake.mostInFlight()).toBe(4);
    expect(samples).toEqual([]);

    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    // Nothing started or died meanwhile: the same containers, not listed again.
    expect(fake.lists()).toBe(1);
    expect(fake.requests).toHaveLength(12);
    expect(samples.map((s) => s.name).sort()).toEqual(['web.1', 'web.2', 'web.3', 'web.4', 'web.5', 'web.6']);
    expect(samples[0]!.precpu).toEqual({ total: 1e9, system: 10e9 });
    // 1 s of 10 s host CPU time over 2 CPUs: 20%, as docker stats shows it.
    expect(cpuPercent(samples[0]!)).toBeCloseTo(20);
    expect(fake.mostInFlight()).toBe(4);
    stop();
  });

  it('reads more at a time with many containers, a round still taking about 5 reads', async () => {
    const fake = fakeDocker({ autoReply: (_id, call) => document(call) });
    fake.list(Array.from({ length: 60 }, (_, i) => `c${i + 1}`));
    const stop = await watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} });
    expect(fake.requests).toHaveLength(60);
    expect(fake.mostInFlight()).toBe(12);
    stop();
  });

  it('starts no round while one is still reading, and the next as soon as it ends', async () => {
    let hang = false;
    const fake = fakeDocker({ autoReply: (_id, call) => (hang ? undefined : document(call)) });
    fake.list(['c1']);
    const stop = await watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} }, { timeoutMs: 600_000 });
    hang = true;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fake.requests).toHaveLength(2);
    hang = false;
    fake.requests.at(-1)!.reply(document(2));
    await settle();
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.requests).toHaveLength(3);
    stop();
  });

  it('forgets a container no longer listed, and skips one whose read fails', async () => {
    const fake = fakeDocker({
      autoReply: (id, call) => (id === 'c2' ? new Error('no such container') : document(call)),
    });
    fake.list(['c1', 'c2']);
    const samples: ContainerStats[] = [];
    const stop = await watchStats(fake.docker, 'i1', { onSample: (s) => samples.push(s), onOom: () => {} });
    fake.list([]);
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    fake.list(['c1', 'c2']);
    fake.events[0]!.write(event('start', 'c1'));
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    // Its earlier reading was dropped with it: back, it starts a new baseline.
    expect(samples).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(samples.map((s) => s.name)).toEqual(['web.1']);
    expect(samples[0]!.precpu).toEqual({ total: 2e9, system: 20e9 });
    stop();
  });

  it('lists again when Docker reports a start or a death, while its events are down, and every minute', async () => {
    const fake = fakeDocker({ autoReply: (_id, call) => document(call) });
    fake.list(['c1']);
    const stop = await watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} });
    const round = async () => {
      await vi.advanceTimersByTimeAsync(10_000);
      await settle();
    };
    await round();
    expect(fake.lists()).toBe(1);
    // Started: listed, and read, in the next round.
    fake.list(['c1', 'c2']);
    fake.events[0]!.write(event('start', 'c2'));
    await settle();
    await round();
    expect(fake.lists()).toBe(2);
    expect(fake.requests.filter((request) => request.id === 'c2')).toHaveLength(1);
    // An OOM kill is no change of the running containers.
    fake.events[0]!.write(event('oom', 'c2'));
    await settle();
    await round();
    expect(fake.lists()).toBe(2);
    fake.list(['c1']);
    fake.events[0]!.write(event('die', 'c2'));
    await settle();
    await round();
    expect(fake.lists()).toBe(3);
    expect(fake.requests.filter((request) => request.id === 'c2')).toHaveLength(2);
    // Unchanged for a minute: listed once more anyway, six rounds after.
    for (let index = 0; index < 5; index += 1) await round();
    expect(fake.lists()).toBe(3);
    await round();
    expect(fake.lists()).toBe(4);
    // The stream ends: every round lists until a new one is open (and once more as it opens).
    fake.events[0]!.end();
    await settle();
    await round();
    expect(fake.lists()).toBe(5);
    stop();
  });

  it('keeps the last reading as the baseline past a read that failed', async () => {
    const fake = fakeDocker({ autoReply: (_id, call) => (call === 2 ? new Error('timed out') : document(call)) });
    fake.list(['c1']);
    const samples: ContainerStats[] = [];
    const stop = await watchStats(fake.docker, 'i1', { onSample: (s) => samples.push(s), onOom: () => {} });
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    // CPU over the 20 s since the reading before the failed one.
    expect(samples.map((s) => s.precpu)).toEqual([{ total: 1e9, system: 10e9 }]);
    stop();
  });

  it('takes a restarted container’s lower counters as a new baseline', async () => {
    const fake = fakeDocker({ autoReply: (_id, call) => document(call === 2 ? 0.5 : call) });
    fake.list(['c1']);
    const samples: ContainerStats[] = [];
    const stop = await watchStats(fake.docker, 'i1', { onSample: (s) => samples.push(s), onOom: () => {} });
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(samples).toEqual([]);
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(samples).toHaveLength(1);
    expect(samples[0]!.precpu).toEqual({ total: 0.5e9, system: 5e9 });
    stop();
  });

  it('aborts the reads in flight when stopped', async () => {
    const fake = fakeDocker();
    fake.list(['c1']);
    const watching = watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} });
    await settle();
    fake.requests[0]!.reply(document(1));
    const stop = await watching;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.requests).toHaveLength(2);
    const signal = fake.requests[1]!.options.abortSignal as AbortSignal;
    stop();
    expect(signal.aborted).toBe(true);
  });
});

describe('OOM kills', () => {
  it('reports an oom event, and skips an events line that is not JSON instead of throwing', async () => {
    const fake = fakeDocker();
    const kills: string[] = [];
    const stop = await watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: (kill) => kills.push(kill.name) });
    expect(() => fake.events[0]!.write('{not json\n')).not.toThrow();
    fake.events[0]!.write(event('oom'));
    fake.events[0]!.write(event('die'));
    await settle();
    expect(kills).toEqual(['web.1']);
    stop();
  });

  it('reopens the events stream when it ends, one at a time, and closes everything when stopped', async () => {
    const fake = fakeDocker();
    const stop = await watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} });
    fake.events[0]!.destroy();
    await settle();
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(fake.events).toHaveLength(2);
    expect(fake.events.filter((stream) => !stream.destroyed)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fake.events).toHaveLength(2);
    stop();
    expect(fake.events.filter((stream) => !stream.destroyed)).toHaveLength(0);
  });

  it('fails to start, leaving nothing open, when Docker cannot list the containers', async () => {
    const fake = fakeDocker({ listFails: () => true });
    await expect(watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} })).rejects.toThrow(
      'docker is busy',
    );
    expect(fake.events.map((stream) => stream.destroyed)).toEqual([true]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(fake.lists()).toBe(1);
  });
});

/** Stats watched from the fake host's files, samples and OOMs ignored. */
function watchHost(fake: ReturnType<typeof fakeDocker>, host: ReturnType<typeof fakeHost>) {
  return watchStats(fake.docker, 'i1', { onSample: () => {}, onOom: () => {} }, { hostStats: host.files });
}

describe("reading stats from the kernel's files", () => {
  const round = async () => {
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
  };

  it("asks Docker once per container for its pid, reads its cgroup's path once, /proc/stat once a round", async () => {
    const fake = fakeDocker({ inspect: true, autoReply: (_id, call) => document(call) });
    fake.list(['c1', 'c2', 'c3']);
    const host = fakeHost(new Map([101, 102, 103].map((pid) => [pid, `c${pid - 100}`])));
    const samples: ContainerStats[] = [];
    const stop = await watchStats(
      fake.docker,
      'i1',
      { onSample: (s) => samples.push(s), onOom: () => {} },
      { hostStats: host.files },
    );
    await round();
    await round();
    stop();
    expect(fake.requests).toHaveLength(0);
    expect(fake.inspects()).toBe(3);
    expect(host.reads('proc/stat')).toBe(3);
    expect([101, 102, 103].map((pid) => host.reads(`proc/${pid}/cgroup`))).toEqual([1, 1, 1]);
    expect([101, 102, 103].map((pid) => host.reads(`proc/${pid}/net/dev`))).toEqual([3, 3, 3]);
    expect(host.reads('sys/fs/cgroup/docker/c2/cpu.stat')).toBe(3);
    // Two rounds after the baseline, each with CPU measured against the last: 1 s of 10 s over 2 CPUs.
    expect(samples).toHaveLength(6);
    expect(samples.map((s) => cpuPercent(s))).toEqual(samples.map(() => expect.closeTo(20)));
    expect(samples[0]).toMatchObject({ memory: { usage: 200, inactiveFile: 50, limit: 1000 }, network: { rx: 10 } });
  });

  it('reads a restarted container’s new pid and cgroup when Docker reports it died and started', async () => {
    const pids = new Map([['c1', 101]]);
    const owners = new Map([[101, 'c1']]);
    const fake = fakeDocker({ inspect: true, pidOf: (id) => pids.get(id)!, autoReply: (_id, call) => document(call) });
    fake.list(['c1']);
    const host = fakeHost(owners);
    const stop = await watchHost(fake, host);
    await round();
    // Restarted: pid 101 is now another process's, the container's init is 201.
    owners.set(101, 'shell');
    owners.set(201, 'c1');
    pids.set('c1', 201);
    fake.events[0]!.write(event('die'));
    fake.events[0]!.write(event('start'));
    await settle();
    await round();
    await round();
    stop();
    expect(fake.inspects()).toBe(2);
    expect([host.reads('proc/101/cgroup'), host.reads('proc/201/cgroup')]).toEqual([1, 1]);
    expect([host.reads('proc/101/net/dev'), host.reads('proc/201/net/dev')]).toEqual([2, 2]);
    expect(fake.requests).toHaveLength(0);
  });

  it('checks /proc/PID/cgroup every round while the events stream is down, so a pid reused is caught', async () => {
    let eventsDown = false;
    const pids = new Map([['c1', 101]]);
    const owners = new Map([[101, 'c1']]);
    const fake = fakeDocker({
      inspect: true,
      pidOf: (id) => pids.get(id)!,
      eventsFail: () => eventsDown,
      autoReply: (_id, call) => document(call),
    });
    fake.list(['c1']);
    const host = fakeHost(owners);
    const stop = await watchHost(fake, host);
    await round();
    expect(host.reads('proc/101/cgroup')).toBe(1);
    eventsDown = true;
    fake.events[0]!.destroy();
    await settle();
    await round();
    expect(host.reads('proc/101/cgroup')).toBe(2);
    // Restarted unreported, and its old pid taken by another process: refused, Docker's API asked instead.
    owners.set(101, 'shell');
    owners.set(201, 'c1');
    pids.set('c1', 201);
    await round();
    // Read in the three rounds before (the first at start), not for the process now holding 101.
    expect(host.reads('proc/101/net/dev')).toBe(3);
    expect(fake.requests).toHaveLength(1);
    // The next round asks Docker for its pid again.
    await round();
    expect(fake.inspects()).toBe(2);
    expect(host.reads('proc/201/cgroup')).toBe(1);
    // With the stream back (reopened before the next round), the next reading's check is kept.
    eventsDown = false;
    await round();
    await round();
    await round();
    stop();
    expect(fake.events).toHaveLength(2);
    expect(host.reads('proc/201/cgroup')).toBe(2);
    expect(fake.requests).toHaveLength(1);
  });

  it("asks Docker's API when the files do not answer, and stops trying them after three misses", async () => {
    const fake = fakeDocker({ inspect: true, autoReply: (_id, call) => document(call) });
    fake.list(['c1', 'c2']);
    const host = fakeHost(new Map());
    const files = (path: string) => {
      host.files(path);
      throw new Error(`ENOENT: ${path}`);
    };
    const samples: ContainerStats[] = [];
    const stop = await watchStats(
      fake.docker,
      'i1',
      { onSample: (s) => samples.push(s), onOom: () => {} },
      { hostStats: files },
    );
    // No /proc/stat: each container of the round misses, without asking Docker for its pid.
    await round();
    expect(host.reads('proc/stat')).toBe(2);
    await round();
    stop();
    expect(host.reads('proc/stat')).toBe(2);
    expect(fake.inspects()).toBe(0);
    expect(fake.requests).toHaveLength(6);
    expect(samples).toHaveLength(4);
  });
});
