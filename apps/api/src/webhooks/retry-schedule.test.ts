import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy, delivered, nextAttemptAt, retryDelay } from './retry-schedule.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const created = new Date('2026-11-28T00:00:00.000Z');

describe('retryDelay', () => {
  it('doubles from 30 s after each failed attempt, up to an hour', () => {
    expect(retryDelay(1)).toBe(30 * SECOND);
    expect(retryDelay(2)).toBe(60 * SECOND);
    expect(retryDelay(3)).toBe(120 * SECOND);
    expect(retryDelay(8)).toBe(HOUR);
    expect(retryDelay(5000)).toBe(HOUR);
  });

  it('starts where the policy says (PLAT_WEBHOOK_RETRY_BASE_MS)', () => {
    expect(retryDelay(1, { ...defaultRetryPolicy, baseMs: 200 })).toBe(200);
    expect(retryDelay(3, { ...defaultRetryPolicy, baseMs: 200 })).toBe(800);
  });
});

describe('nextAttemptAt', () => {
  it('schedules the next attempt after a failure', () => {
    const now = new Date(created.getTime() + 5 * SECOND);
    expect(nextAttemptAt({ attemptsMade: 1, createdAt: created, now, level: 'sync' })).toEqual(
      new Date(now.getTime() + 30 * SECOND),
    );
  });

  it('gives up once the next attempt would be more than 24 hours after the event', () => {
    const late = new Date(created.getTime() + 23.5 * HOUR);
    expect(nextAttemptAt({ attemptsMade: 20, createdAt: created, now: late, level: 'sync' })).toBeUndefined();
    const earlier = new Date(created.getTime() + 22 * HOUR);
    expect(nextAttemptAt({ attemptsMade: 20, createdAt: created, now: earlier, level: 'sync' })).toEqual(
      new Date(earlier.getTime() + HOUR),
    );
  });

  it('tries a notify webhook once', () => {
    expect(nextAttemptAt({ attemptsMade: 1, createdAt: created, now: created, level: 'notify' })).toBeUndefined();
  });

  it('sums to about 30 attempts over the 24 hours', () => {
    let now = created;
    let attempts = 0;
    for (;;) {
      attempts += 1;
      const next = nextAttemptAt({ attemptsMade: attempts, createdAt: created, now, level: 'sync' });
      if (!next) break;
      now = next;
    }
    expect(attempts).toBeGreaterThan(25);
    expect(attempts).toBeLessThan(35);
    expect(now.getTime() - created.getTime()).toBeLessThanOrEqual(24 * HOUR);
  });
});

describe('delivered', () => {
  it('is a 2xx answer only', () => {
    expect(delivered(200)).toBe(true);
    expect(delivered(204)).toBe(true);
    expect(delivered(301)).toBe(false);
    expect(delivered(500)).toBe(false);
    expect(delivered(undefined)).toBe(false);
  });
});
