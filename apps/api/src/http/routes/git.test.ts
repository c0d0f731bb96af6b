import { describe, expect, it } from 'vitest';
import { hookHost } from './git.js';

describe('where the git hook reaches platd', () => {
  it('uses the address the API listens on, loopback for the wildcard ones', () => {
    expect(hookHost('0.0.0.0')).toBe('127.0.0.1');
    expect(hookHost('::')).toBe('[::1]');
    expect(hookHost('10.1.2.3')).toBe('10.1.2.3');
    expect(hookHost('127.0.0.2')).toBe('127.0.0.2');
    expect(hookHost('fd00::5')).toBe('[fd00::5]');
  });
});
