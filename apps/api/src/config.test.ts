import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from './config.js';

describe('settings from the environment', () => {
  it('keeps the images of at least one release, and says so rather than raising 0', () => {
    expect(settingsFromEnv({}).keepReleases).toBe(5);
    expect(settingsFromEnv({ PLAT_KEEP_RELEASES: '2' }).keepReleases).toBe(2);
    expect(() => settingsFromEnv({ PLAT_KEEP_RELEASES: '0' })).toThrow('PLAT_KEEP_RELEASES must be at least 1');
  });

  it('runs git over SSH on port 22 unless PLAT_SSH_PORT says another port, or 0 for none', () => {
    expect(settingsFromEnv({})).toMatchObject({ sshPort: 22, sshHost: '0.0.0.0' });
    expect(settingsFromEnv({ PLAT_SSH_PORT: '2222', PLAT_SSH_HOST: '127.0.0.1' })).toMatchObject({
      sshPort: 2222,
      sshHost: '127.0.0.1',
    });
    expect(settingsFromEnv({ PLAT_SSH_PORT: '0' }).sshPort).toBe(0);
    expect(() => settingsFromEnv({ PLAT_SSH_PORT: 'off' })).toThrow('PLAT_SSH_PORT must be a TCP port');
  });
});
