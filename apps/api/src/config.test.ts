import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from './config.js';

describe('settings from the environment', () => {
  it('keeps the images of at least one release, and says so rather than raising 0', () => {
    expect(settingsFromEnv({}).keepReleases).toBe(5);
    expect(settingsFromEnv({ PLAT_KEEP_RELEASES: '2' }).keepReleases).toBe(2);
    expect(() => settingsFromEnv({ PLAT_KEEP_RELEASES: '0' })).toThrow('PLAT_KEEP_RELEASES must be at least 1');
  });
});
