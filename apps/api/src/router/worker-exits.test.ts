import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DrainingWorkers,
  FIRST_POLL_MS,
  nextPollDelay,
  QUICK_PHASE_MS,
  SLOWEST_POLL_MS,
  WorkerExitPoller,
} from './worker-exits.js';

/** Workers by pid, alive until `exit`; counts every look at one. */
function fakeWorkers(pids: number[]) {
  const living = new Set(pids);
  const looks: number[] = [];
  return {
    alive: (pid: number) => {
      looks.push(pid);
      return living.has(pid);
    },
    exit: (...gone: number[]) => {
      for (const pid of gone) living.delete(pid);
    },
    looks,
  };
}

describe('the polling schedule', () => {
  it('looks every 20 ms for the first second, then slows down to a quarter second', () => {
    expect(nextPollDelay(0)).toBe(FIRST_POLL_MS);
    expect(nextPollDelay(QUICK_PHASE_MS - 1)).toBe(FIRST_POLL_MS);
    expect(nextPollDelay(QUICK_PHASE_MS)).toBe(FIRST_POLL_MS);
    expect(nextPollDelay(2000)).toBe(145);
    expect(nextPollDelay(3000)).toBe(SLOWEST_POLL_MS);
    expect(nextPollDelay(31_000)).toBe(SLOWEST_POLL_MS);
    let previous = 0;
    for (let since = 0; since <= 40_000; since += 7) {
      expect(nextPollDelay(since)).toBeGreaterThanOrEqual(previous);
      previous = nextPollDelay(since);
    }
  });

  it('costs a bounded number of looks over a whole drain', () => {
    let looks = 0;
    for (let since = 0; since < 31_000; since += nextPollDelay(since)) looks += 1;
    // 50 in the first second, then about 4 a second: a tenth of a loop at 20 ms (1550).
    expect(looks).toBeLessThan(190);
  });
});

describe('draining workers, for every reload at once', () => {
  it('resolves a reload once all its workers are gone, each reload on its own', () => {
    const workers = fakeWorkers([1, 2, 3, 4]);
    const draining = new DrainingWorkers(workers.alive);
    const done: string[] = [];
    draining.add([1, 2], 31_000, 0, () => done.push('first'));
    draining.add([3, 4], 31_100, 100, () => done.push('second'));
    expect(draining.check(100)).toBe(FIRST_POLL_MS);
    workers.exit(1, 3);
    draining.check(120);
    expect(done).toEqual([]);
    workers.exit(2);
    draining.check(140);
    expect(done).toEqual(['first']);
    workers.exit(4);
    expect(draining.check(160)).toBeUndefined();
    expect(done).toEqual(['first', 'second']);
    expect(draining.waiting).toBe(0);
  });

  it('looks at each worker once per check, however many reloads overlap, and forgets those gone', () => {
    const workers = fakeWorkers([1, 2, 3]);
    const draining = new DrainingWorkers(workers.alive);
    for (let reload = 0; reload < 10; reload += 1) draining.add([1, 2, 3], 31_000, 0, () => {});
    draining.check(0);
    expect(workers.looks.sort()).toEqual([1, 2, 3]);
    workers.exit(2);
    workers.looks.length = 0;
    draining.check(20);
    workers.looks.length = 0;
    draining.check(40);
    // A pid seen gone is not looked at again: a process that reuses it later does not hold the drain.
    expect(workers.looks.sort()).toEqual([1, 3]);
  });

  it('polls quickly again after a new reload, and slowly once the newest is a second old', () => {
    const draining = new DrainingWorkers(fakeWorkers([1, 2]).alive);
    draining.add([1], 60_000, 0, () => {});
    expect(draining.check(10_000)).toBe(SLOWEST_POLL_MS);
    draining.add([2], 70_000, 10_000, () => {});
    expect(draining.check(10_000)).toBe(FIRST_POLL_MS);
    expect(draining.check(11_000)).toBe(FIRST_POLL_MS);
    expect(draining.check(12_000)).toBe(145);
  });

  it('gives up on a reload at its deadline, not a slow poll later, and leaves the others waiting', () => {
    const draining = new DrainingWorkers(fakeWorkers([1, 2]).alive);
    const done: string[] = [];
    draining.add([1], 5_100, 0, () => done.push('first'));
    draining.add([2], 31_000, 0, () => done.push('second'));
    expect(draining.check(5_000)).toBe(100);
    draining.check(5_099);
    expect(done).toEqual([]);
    expect(draining.check(5_100)).toBe(SLOWEST_POLL_MS);
    expect(done).toEqual(['first']);
    expect(draining.waiting).toBe(1);
  });

  it('resolves at once a reload with no old workers, or none alive', () => {
    const draining = new DrainingWorkers(fakeWorkers([]).alive);
    const done: string[] = [];
    draining.add([], 31_000, 0, () => done.push('none'));
    draining.add([7], 31_000, 0, () => done.push('exited'));
    expect(draining.check(0)).toBeUndefined();
    expect(done).toEqual(['none', 'exited']);
  });
});

describe('the poller on a timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one timer for overlapping reloads, notices an exit within 20 ms at first, and stops when done', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const workers = fakeWorkers([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const poller = new WorkerExitPoller(workers.alive);
    const done: number[] = [];
    const waits = [];
    for (let pid = 1; pid <= 10; pid += 1) waits.push(poller.wait([pid], 31_000).then(() => done.push(pid)));
    expect(vi.getTimerCount()).toBe(1);
    workers.exit(1);
    await vi.advanceTimersByTimeAsync(FIRST_POLL_MS);
    expect(done).toEqual([1]);
    // A second in: one loop, not ten, looking at the 9 workers left once a poll.
    workers.looks.length = 0;
    await vi.advanceTimersByTimeAsync(QUICK_PHASE_MS);
    expect(vi.getTimerCount()).toBe(1);
    expect(workers.looks.length).toBeLessThanOrEqual((QUICK_PHASE_MS / FIRST_POLL_MS) * 9);
    // Later, polls are a quarter second apart: an exit is noticed within that.
    await vi.advanceTimersByTimeAsync(5_000);
    workers.looks.length = 0;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(workers.looks.length).toBeLessThanOrEqual((1_000 / SLOWEST_POLL_MS) * 9);
    workers.exit(2);
    await vi.advanceTimersByTimeAsync(SLOWEST_POLL_MS);
    expect(done).toEqual([1, 2]);
    workers.exit(3, 4, 5, 6, 7, 8, 9, 10);
    await vi.advanceTimersByTimeAsync(SLOWEST_POLL_MS);
    await Promise.all(waits);
    expect(done).toHaveLength(10);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves after the timeout when a worker never exits, and at once when none is alive', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const poller = new WorkerExitPoller(fakeWorkers([1]).alive);
    let timedOut = false;
    const waiting = poller.wait([1], 31_000).then(() => {
      timedOut = true;
    });
    await vi.advanceTimersByTimeAsync(30_999);
    expect(timedOut).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(timedOut).toBe(true);
    await poller.wait([2], 31_000);
    expect(vi.getTimerCount()).toBe(0);
  });
});
