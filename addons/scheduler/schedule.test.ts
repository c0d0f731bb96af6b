import { describe, expect, it } from 'vitest';
import { checkSchedule, nextRun } from './src/index.js';

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
