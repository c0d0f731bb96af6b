import { describe, expect, it } from 'vitest';
import { checkSchedule, firesMoreOftenThan, nextRun, shortestIntervalSeconds } from './src/index.js';

describe('scheduler schedules', () => {
  it('finds the next run in UTC', () => {
    expect(nextRun('*/10 * * * *', new Date('2026-11-23T18:03:00Z')).toISOString()).toBe('2026-11-23T18:10:00.000Z');
    expect(nextRun('0 3 * * *', new Date('2026-11-23T18:03:00Z')).toISOString()).toBe('2026-11-24T03:00:00.000Z');
    expect(nextRun('*/5 * * * * *', new Date('2026-11-23T18:03:01Z')).toISOString()).toBe('2026-11-23T18:03:05.000Z');
  });

  it('refuses what is not a schedule', () => {
    expect(() => checkSchedule('every day')).toThrow(/expected 5 fields/);
    expect(() => checkSchedule('61 * * * *')).toThrow(/Invalid schedule/);
    expect(checkSchedule('  */10  * * * * ')).toBe('*/10 * * * *');
  });
});

describe('shortestIntervalSeconds', () => {
  it('finds how often a schedule fires, seconds field included', () => {
    const from = new Date('2026-11-23T18:03:01Z');
    expect(shortestIntervalSeconds('*/10 * * * * *', from)).toBe(10);
    expect(shortestIntervalSeconds('0,59 * * * * *', from)).toBe(1);
    expect(shortestIntervalSeconds('0 * * * * *', from)).toBe(60);
    expect(shortestIntervalSeconds('* * * * *', from)).toBe(60);
    expect(shortestIntervalSeconds('*/10 * * * *', from)).toBe(600);
    expect(shortestIntervalSeconds('0 3 * * *', from)).toBe(86_400);
  });

  it('tells schedules that fire more often than a minimum interval', () => {
    const from = new Date('2026-11-23T18:03:01Z');
    expect(firesMoreOftenThan('*/10 * * * * *', 60, from)).toBe(true);
    expect(firesMoreOftenThan('0,59 * * * * *', 60, from)).toBe(true);
    expect(firesMoreOftenThan('30 * * * * *', 60, from)).toBe(false);
    expect(firesMoreOftenThan('* * * * *', 60, from)).toBe(false);
    expect(firesMoreOftenThan('*/2 * * * * *', 1, from)).toBe(false);
    expect(firesMoreOftenThan('*/5 * * * *', 600, from)).toBe(true);
    expect(firesMoreOftenThan('0 3 * * *', 3600, from)).toBe(false);
  });
});
