import { describe, expect, it } from 'vitest';
import { PlatError } from '@plat/core';
import { OneOffSlots } from '../controller/one-off-slots.js';
import { checkAppQuota, checkDynoQuota, checkJobInterval, checkJobQuota } from './quotas.js';

function refusal(action: () => void): PlatError {
  try {
    action();
  } catch (error) {
    return error as PlatError;
  }
  throw new Error('expected a refusal');
}

describe('quotas', () => {
  it('refuses an app past the per-user limit, with quota_exceeded', () => {
    expect(() => checkAppQuota(2, 3)).not.toThrow();
    const error = refusal(() => checkAppQuota(3, 3));
    expect(error).toBeInstanceOf(PlatError);
    expect(error).toMatchObject({ id: 'quota_exceeded', status: 403 });
    expect(error.message).toBe('You own 3 apps, the most allowed (PLAT_MAX_APPS_PER_USER=3): destroy one first.');
  });

  it('refuses more dynos of a type than allowed', () => {
    expect(() => checkDynoQuota('web', 8, 8)).not.toThrow();
    expect(refusal(() => checkDynoQuota('web', 9, 8)).message).toBe(
      'web cannot have 9 dynos: at most 8 per process type (PLAT_MAX_DYNOS_PER_TYPE).',
    );
  });

  it('refuses scheduler jobs past the limit and schedules that fire too often', () => {
    expect(() => checkJobQuota(4, 5)).not.toThrow();
    expect(refusal(() => checkJobQuota(5, 5)).id).toBe('quota_exceeded');
    expect(() => checkJobInterval('* * * * *', 60)).not.toThrow();
    expect(() => checkJobInterval('15 * * * * *', 60)).not.toThrow();
    const error = refusal(() => checkJobInterval('*/10 * * * * *', 60));
    expect(error.id).toBe('quota_exceeded');
    expect(error.message).toBe(
      '"*/10 * * * * *" runs every 10 s; jobs may run at most once every 60 s (PLAT_SCHEDULER_MIN_INTERVAL_SECONDS).',
    );
  });

  it('counts one-offs per app and frees a slot once, however often released', () => {
    const slots = new OneOffSlots();
    const shop = { id: 'a', name: 'shop' };
    const first = slots.take(shop, { max: 2 });
    slots.take(shop, { max: 2 });
    expect(slots.take({ id: 'b', name: 'blog' }, { max: 2 })).toBeTypeOf('function');
    expect(refusal(() => slots.take(shop, { max: 2 })).message).toBe(
      'shop already has 2 one-off dynos running, the most allowed (PLAT_MAX_ONE_OFFS=2): wait for one to finish.',
    );
    first();
    first();
    expect(slots.inUse('a')).toBe(1);
    expect(() => slots.take(shop, { max: 2 })).not.toThrow();
    expect(slots.inUse('a')).toBe(2);
  });

  it('counts one-offs an earlier platd left running against the same limit', () => {
    const slots = new OneOffSlots();
    const shop = { id: 'a', name: 'shop' };
    expect(refusal(() => slots.take(shop, { max: 2, untracked: 2 })).message).toContain(
      'already has 2 one-off dynos running',
    );
    const release = slots.take(shop, { max: 2, untracked: 1 });
    expect(refusal(() => slots.take(shop, { max: 2, untracked: 1 })).id).toBe('quota_exceeded');
    release();
    expect(slots.inUse('a')).toBe(0);
  });
});
