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

  it('forgets dynos that are no longer wanted', () => {
    const tracker = new CrashTracker();
    tracker.crashed('keep', 1, 0);
    tracker.crashed('drop', 1, 0);
    tracker.retain(new Set(['keep']));
    expect(tracker.get('drop')).toBeUndefined();
    expect(tracker.get('keep')).toBeDefined();
  });
});
