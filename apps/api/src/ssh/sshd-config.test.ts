import { describe, expect, it } from 'vitest';
import { renderSshdConfig } from './sshd-config.js';

const config = renderSshdConfig({
  listenHost: '127.0.0.1',
  port: 2222,
  hostKeys: ['/d/ssh/ssh_host_ed25519_key'],
  pidFile: '/d/ssh/sshd.pid',
  loginUser: 'git',
  keysCommand: ['/usr/bin/node', '/opt/keys-command.js', '/d/ssh/keys/authorized-keys.json', '%f'],
  keysUser: 'plat-keys',
});
const settings = new Map(
  config
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => [line.split(' ')[0]!, line.slice(line.indexOf(' ') + 1)]),
);

describe('renderSshdConfig', () => {
  it('serves one account, by the keys platd lists, on its own port', () => {
    expect(settings.get('ListenAddress')).toBe('127.0.0.1:2222');
    expect(settings.get('AllowUsers')).toBe('git');
    expect(settings.get('AuthorizedKeysFile')).toBe('none');
    expect(settings.get('AuthorizedKeysCommand')).toBe(
      '/usr/bin/node /opt/keys-command.js /d/ssh/keys/authorized-keys.json %f',
    );
    expect(settings.get('AuthorizedKeysCommandUser')).toBe('plat-keys');
    expect(settings.get('AuthenticationMethods')).toBe('publickey');
  });

  it('allows no password, pty, forwarding, subsystem or client environment', () => {
    for (const [key, value] of [
      ['PasswordAuthentication', 'no'],
      ['KbdInteractiveAuthentication', 'no'],
      ['PermitRootLogin', 'no'],
      ['PermitTTY', 'no'],
      ['DisableForwarding', 'yes'],
      ['AllowTcpForwarding', 'no'],
      ['AllowAgentForwarding', 'no'],
      ['X11Forwarding', 'no'],
      ['PermitTunnel', 'no'],
      ['PermitUserEnvironment', 'no'],
      ['PermitUserRC', 'no'],
    ]) {
      expect(settings.get(key!), key).toBe(value);
    }
    expect(settings.has('Subsystem')).toBe(false);
    expect(settings.has('AcceptEnv')).toBe(false);
  });

  it('brackets an IPv6 listen address', () => {
    expect(
      renderSshdConfig({
        ...{ listenHost: '::1', port: 22 },
        hostKeys: [],
        pidFile: 'p',
        loginUser: 'git',
        keysCommand: ['k'],
        keysUser: 'u',
      }),
    ).toContain('ListenAddress [::1]:22');
  });
});
