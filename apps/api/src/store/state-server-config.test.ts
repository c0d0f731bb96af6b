import { describe, expect, it } from 'vitest';
import { parsePostmasterPid, renderStateServerConfig } from './state-server-config.js';

describe('state server config', () => {
  it('listens on a socket in its own folder only, with small memory settings', () => {
    const config = renderStateServerConfig({ socketDir: '/var/lib/plat/postgres' });
    expect(config).toContain("listen_addresses = ''");
    expect(config).toContain("unix_socket_directories = '/var/lib/plat/postgres'");
    expect(config).toContain('unix_socket_permissions = 0700');
    expect(config).toContain("shared_buffers = '16MB'");
    expect(config).toContain('max_connections = 20');
    expect(config).toContain('jit = off');
  });

  it('quotes a folder with a quote in it, and refuses one with a newline', () => {
    expect(renderStateServerConfig({ socketDir: "/srv/it's" })).toContain("unix_socket_directories = '/srv/it''s'");
    expect(() => renderStateServerConfig({ socketDir: "/srv/x'\nlisten_addresses = '*" })).toThrow(
      /control characters/,
    );
  });

  it('reads postmaster.pid', () => {
    const text =
      '4242\n/var/lib/plat/postgres\n1764350000\n5432\n/var/lib/plat/postgres\n\n  5432001  32768\nready   \n';
    expect(parsePostmasterPid(text)).toEqual({
      pid: 4242,
      dataDir: '/var/lib/plat/postgres',
      port: 5432,
      socketDir: '/var/lib/plat/postgres',
      listenAddresses: '',
      status: 'ready',
    });
    expect(parsePostmasterPid('4243\n/d\n')).toMatchObject({ pid: 4243, status: '' });
    expect(parsePostmasterPid('')).toBeUndefined();
    expect(parsePostmasterPid('-1\n')).toBeUndefined();
  });
});
