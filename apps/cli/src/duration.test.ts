import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads seconds, minutes, hours and days', () => {
    expect(parseDuration('1')).toBe(1);
    expect(parseDuration('45s')).toBe(45);
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('12h')).toBe(43_200);
    expect(parseDuration(' 30d ')).toBe(2_592_000);
  });

  it('refuses anything else with a clear error', () => {
    for (const bad of ['', '0', '0d', '-5m', '1.5h', '3w', 'd', '10 d', '1e3']) {
      expect(() => parseDuration(bad), bad).toThrow(/duration/);
    }
  });
});
