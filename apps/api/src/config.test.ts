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

  it('serves the API on PLAT_API_DOMAIN only when it is set, with a certificate from files, ACME or none', () => {
    expect(settingsFromEnv({}).apiDomain).toBeUndefined();
    expect(settingsFromEnv({ PLAT_API_DOMAIN: 'Plat.Example.com.' }).apiDomain).toEqual({
      hostname: 'plat.example.com',
      certificate: { source: 'none' },
    });
    expect(
      settingsFromEnv({ PLAT_API_DOMAIN: 'plat.example.com', PLAT_ACME_EMAIL: 'ops@example.com' }).apiDomain,
    ).toEqual({ hostname: 'plat.example.com', certificate: { source: 'acme' } });
    expect(
      settingsFromEnv({
        PLAT_API_DOMAIN: 'plat.example.com',
        PLAT_API_CERT_FILE: '/etc/plat/api.crt',
        PLAT_API_KEY_FILE: '/etc/plat/api.key',
        PLAT_ACME_EMAIL: 'ops@example.com',
      }).apiDomain,
    ).toEqual({
      hostname: 'plat.example.com',
      certificate: { source: 'files', chainFile: '/etc/plat/api.crt', keyFile: '/etc/plat/api.key' },
    });
  });

  it.each([
    'plat',
    'plat..example.com',
    '-plat.example.com',
    'plat.example.com/v1',
    '*.example.com',
    'plat example.com',
  ])('refuses PLAT_API_DOMAIN=%s, which is not a hostname', (value) => {
    expect(() => settingsFromEnv({ PLAT_API_DOMAIN: value })).toThrow('PLAT_API_DOMAIN must be a hostname');
  });

  it('refuses a certificate file without its key, and certificate files without PLAT_API_DOMAIN', () => {
    expect(() => settingsFromEnv({ PLAT_API_DOMAIN: 'plat.example.com', PLAT_API_CERT_FILE: '/a.crt' })).toThrow(
      'PLAT_API_CERT_FILE and PLAT_API_KEY_FILE go together',
    );
    expect(() => settingsFromEnv({ PLAT_API_CERT_FILE: '/a.crt', PLAT_API_KEY_FILE: '/a.key' })).toThrow(
      'need PLAT_API_DOMAIN',
    );
  });
});
