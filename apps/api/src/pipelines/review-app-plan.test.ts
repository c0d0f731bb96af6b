import { describe, expect, it } from 'vitest';
import { APP_NAME_PATTERN } from '@plat/core';
import { checkBranch, reviewAppExpiry, reviewAppName } from './review-app-plan.js';

describe('reviewAppName', () => {
  it('is <pipeline>-pr-<branch slug>', () => {
    expect(reviewAppName('shop', 'feature/Login_Form')).toBe('shop-pr-feature-login-form');
    expect(reviewAppName('shop', 'fix-1')).toBe('shop-pr-fix-1');
  });

  it('cuts long names to an app name, unique per branch', () => {
    const a = reviewAppName('a-long-pipeline-name', 'feature/a-very-long-branch-name-one');
    const b = reviewAppName('a-long-pipeline-name', 'feature/a-very-long-branch-name-two');
    for (const name of [a, b]) expect(name).toMatch(APP_NAME_PATTERN);
    expect(a).not.toBe(b);
    expect(a.startsWith('a-long-pipeline-name-pr-')).toBe(true);
    expect(reviewAppName('a'.repeat(30), 'x')).toMatch(APP_NAME_PATTERN);
  });

  it('names a branch with no letters or digits by its hash', () => {
    expect(reviewAppName('shop', '___')).toMatch(/^shop-pr-[0-9a-f]{6}$/);
  });
});

describe('checkBranch', () => {
  it.each(['main', 'feature/login', 'release-1.2', 'a_b'])('accepts %j', (branch) => {
    expect(checkBranch(branch)).toBe(branch);
  });

  it.each(['', '-x', '--upload-pack=x', 'a..b', 'a b', 'x/', '/x', 'a//b', 'a.lock', 'a/.b', 'a~1', 'a^', 'HEAD@{1}'])(
    'refuses %j',
    (branch) => {
      expect(() => checkBranch(branch)).toThrow(/Invalid branch/);
    },
  );

  it('refuses very long names', () => {
    expect(() => checkBranch('b'.repeat(201))).toThrow(/Invalid branch/);
  });
});

describe('reviewAppExpiry', () => {
  const now = new Date('2026-11-28T00:00:00Z');
  it('adds the TTL, five days by default', () => {
    expect(reviewAppExpiry(now, 3 * 86_400).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(reviewAppExpiry(now, undefined).toISOString()).toBe('2026-12-03T00:00:00.000Z');
  });

  it('refuses a TTL under a minute or over 30 days', () => {
    expect(() => reviewAppExpiry(now, 59)).toThrow(/TTL/);
    expect(() => reviewAppExpiry(now, 31 * 86_400)).toThrow(/TTL/);
  });
});
