import { describe, expect, it } from 'vitest';
import type { PlatError } from '@plat/core';
import { addressKey, FAILED_AUTH_LIMIT, FailedAuthLimit } from './failed-auth-limit.js';

const refusal = (fn: () => void): PlatError | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return error as PlatError;
  }
};

describe('FailedAuthLimit', () => {
  it('lets an address fail FAILED_AUTH_LIMIT times a minute, then refuses it until the minute ends', () => {
    let now = 0;
    const limit = new FailedAuthLimit({ now: () => now });
    for (let i = 0; i < FAILED_AUTH_LIMIT; i += 1) {
      expect(refusal(() => limit.check('203.0.113.9'))).toBeUndefined();
      limit.failed('203.0.113.9');
    }
    const error = refusal(() => limit.check('203.0.113.9'));
    expect(error?.id).toBe('rate_limited');
    expect(error?.status).toBe(429);
    expect(error?.message).toBe('Too many failed authentications from your address: retry in 60 s.');
    // Other addresses are not affected.
    expect(refusal(() => limit.check('203.0.113.10'))).toBeUndefined();
    now += 59_000;
    expect(refusal(() => limit.check('203.0.113.9'))?.message).toContain('retry in 1 s');
    now += 1_000;
    expect(refusal(() => limit.check('203.0.113.9'))).toBeUndefined();
  });

  it('lets a good client send many requests at once', () => {
    const limit = new FailedAuthLimit();
    const releases = Array.from({ length: 32 }, () => limit.attempt('198.51.100.9'));
    for (const release of releases) release();
    expect(refusal(() => limit.attempt('198.51.100.9'))).toBeUndefined();
  });

  it('bounds attempts still being checked, so a parallel burst cannot pass the limit', () => {
    const limit = new FailedAuthLimit({ max: 3, maxInFlight: 3 });
    const releases = [0, 1, 2].map(() => limit.attempt('198.51.100.7'));
    expect(refusal(() => limit.attempt('198.51.100.7'))?.id).toBe('rate_limited');
    // A good token's attempt ends without a failure and frees its place.
    releases[0]!();
    releases[0]!();
    const next = limit.attempt('198.51.100.7');
    for (const release of [...releases.slice(1), next]) {
      limit.failed('198.51.100.7');
      release();
    }
    expect(refusal(() => limit.attempt('198.51.100.7'))?.id).toBe('rate_limited');
    expect(refusal(() => limit.attempt('198.51.100.8'))).toBeUndefined();
  });

  it('counts an IPv6 /64 as one address, and IPv4-mapped addresses as IPv4', () => {
    const limit = new FailedAuthLimit({ max: 2 });
    limit.failed('2001:db8:1:2::1');
    limit.failed('2001:db8:1:2:ffff:ffff:ffff:ffff');
    expect(refusal(() => limit.check('2001:0db8:0001:0002::abcd'))?.id).toBe('rate_limited');
    expect(refusal(() => limit.check('2001:db8:1:3::1'))).toBeUndefined();
    limit.failed('::ffff:192.0.2.1');
    limit.failed('192.0.2.1');
    expect(refusal(() => limit.check('::ffff:192.0.2.1'))?.id).toBe('rate_limited');
  });

  it('keys addresses', () => {
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
    expect(addressKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });

  it('keeps a bounded number of addresses', () => {
    const limit = new FailedAuthLimit({ max: 1, maxAddresses: 10 });
    for (let i = 0; i < 1000; i += 1) limit.failed(`10.0.${i >> 8}.${i & 255}`);
    // The newest are remembered, the oldest forgotten.
    expect(refusal(() => limit.check('10.0.3.231'))?.id).toBe('rate_limited');
    expect(refusal(() => limit.check('10.0.0.0'))).toBeUndefined();
  });
});
