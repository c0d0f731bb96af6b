import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from './config.js';

describe('PLAT_RUNTIME', () => {
  it('runs dynos on one Docker Engine unless it says swarm', () => {
    expect(settingsFromEnv({}).runtime).toBe('docker');
    expect(settingsFromEnv({ PLAT_RUNTIME: 'docker' }).runtime).toBe('docker');
    expect(settingsFromEnv({ PLAT_RUNTIME: 'swarm' }).runtime).toBe('swarm');
  });

  it.each(['Swarm', 'kubernetes', 'docker '])('refuses PLAT_RUNTIME=%j at start', (value) => {
    expect(() => settingsFromEnv({ PLAT_RUNTIME: value })).toThrow(
      `PLAT_RUNTIME must be docker or swarm, got ${JSON.stringify(value)}`,
    );
  });
});
