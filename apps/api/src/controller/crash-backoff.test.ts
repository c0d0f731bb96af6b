import { describe, expect, it } from 'vitest';
import { BACKOFF, CrashTracker, restartDelay } from './crash-backoff.js';

describe('crash backoff', () => {
  it('restarts at once, then doubles up to five minutes', () => {
    expect([1, 2, 3, 4, 5, 6].map(restartDelay)).toEqual([0, 1000, 2000, 4000, 8000, 16000]);
    expect(restartDelay(30)).toBe(BACKOFF.capMs);
  });

  it('holds a crashed dyno until its retry time, and counts restarts', () => {
    const tracker = new CrashTracker();
    expect(tracker.crashed('a/web.1', 1, 0)).toMatchObject({ restarts: 1, retryAt: 0 });
    expect(tracker.holding('a/web.1', 0)).toBe(false);
    tracker.started('a/web.1', 10);
    expect(tracker.crashed('a/web.1', 1, 20)).toMatchObject({ restarts: 2, retryAt: 1020, exitCode: 1 });
    expect(tracker.holding('a/web.1', 500)).toBe(true);
    expect(tracker.holding('a/web.1', 1020)).toBe(false);
  });

  it('starts over after ten minutes up', () => {
    const tracker = new CrashTracker();
    tracker.crashed('k', 1, 0);
    tracker.crashed('k', 1, 1);
    tracker.started('k', 5000);
    expect(tracker.crashed('k', 137, 5000 + BACKOFF.resetAfterUpMs).restarts).toBe(1);
  });

  it("forgets the app's dynos that are no longer wanted, and no other app's", () => {
    const tracker = new CrashTracker();
    for (const key of ['app/r2/web.1', 'app/r1/web.1', 'app-two/r1/web.1', 'other/r1/web.1'])
      tracker.crashed(key, 1, 0);
    tracker.retain('app', new Set(['app/r2/web.1']));
    expect(tracker.get('app/r1/web.1')).toBeUndefined();
    expect(tracker.get('app/r2/web.1')).toBeDefined();
    expect(tracker.get('app-two/r1/web.1')).toBeDefined();
    expect(tracker.get('other/r1/web.1')).toBeDefined();
  });
});

describe('CrashTracker.looping', () => {
  it('names dynos crashing again and again, until one stays up long enough to start over', () => {
    const tracker = new CrashTracker();
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i += 1) {
      tracker.started('app/r1/web.1', t0 + i * 1000);
      tracker.crashed('app/r1/web.1', 1, t0 + i * 1000 + 500);
    }
    tracker.crashed('app/r1/worker.1', 2, t0);
    expect(tracker.looping(t0 + 5000, 3).map((entry) => [entry.key, entry.record.restarts])).toEqual([
      ['app/r1/web.1', 3],
    ]);
    tracker.started('app/r1/web.1', t0 + 10_000);
    expect(tracker.looping(t0 + 10_000 + 9 * 60_000, 3)).toHaveLength(1);
    expect(tracker.looping(t0 + 10_000 + 11 * 60_000, 3)).toEqual([]);
  });
});
