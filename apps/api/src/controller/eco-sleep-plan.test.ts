import { describe, expect, it } from 'vitest';
import { idleApps, sleepCheckIntervalMs, wakeErrorCode, wakeSeconds, webAsleep } from './eco-sleep-plan.js';

describe('eco sleep decisions', () => {
  const since = new Date('2026-11-29T03:00:00Z');

  it('count an app asleep only while its web process is eco and scaled up', () => {
    expect(webAsleep([{ type: 'web', quantity: 1, size: 'eco' }], since)).toBe(true);
    expect(webAsleep([{ type: 'web', quantity: 1, size: 'eco' }], undefined)).toBe(false);
    expect(webAsleep([{ type: 'web', quantity: 1, size: 'basic' }], since)).toBe(false);
    expect(webAsleep([{ type: 'web', quantity: 0, size: 'eco' }], since)).toBe(false);
    expect(webAsleep([{ type: 'worker', quantity: 1, size: 'eco' }], since)).toBe(false);
  });

  it('put to sleep the apps with no request, wake or platd start within the idle time', () => {
    const apps = [{ name: 'quiet' }, { name: 'busy' }, { name: 'woken' }, { name: 'never' }, { name: 'skipped' }];
    const requests: Record<string, number> = { quiet: 1_000, busy: 9_500, woken: 1_000, skipped: 1_000 };
    const idle = idleApps({
      apps,
      lastRequestAt: (app) => requests[app],
      lastWokeAt: (app) => (app === 'woken' ? 9_000 : undefined),
      skip: (app) => app === 'skipped',
      startedAt: 2_000,
      now: 10_000,
      sleepMs: 5_000,
    });
    expect(idle.map((app) => app.name)).toEqual(['quiet', 'never']);
    // Counted from platd's start when there was no request since.
    const early = idleApps({
      apps,
      lastRequestAt: () => undefined,
      lastWokeAt: () => undefined,
      skip: () => false,
      startedAt: 8_000,
      now: 10_000,
      sleepMs: 5_000,
    });
    expect(early).toEqual([]);
  });

  it('look often enough for short idle times and once a minute at most for long ones', () => {
    expect(sleepCheckIntervalMs(2_000)).toBe(500);
    expect(sleepCheckIntervalMs(8_000)).toBe(2_000);
    expect(sleepCheckIntervalMs(1_800_000)).toBe(60_000);
  });

  it('show wake times and failures as the router does', () => {
    expect(wakeSeconds(1_432)).toBe('1.4');
    expect(wakeSeconds(-5)).toBe('0.0');
    expect(wakeErrorCode('R10: web.1 did not answer on $PORT within 60 s')).toBe('R10');
    expect(wakeErrorCode('H10: web.1 crashed at boot (exit 1)')).toBe('H10');
    expect(wakeErrorCode('something else')).toBe('H10');
  });
});
