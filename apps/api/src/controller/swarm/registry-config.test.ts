import { describe, expect, it } from 'vitest';
import { nextPage } from './registry-api.js';
import {
  parseRegistryAddress,
  parseRegistryRef,
  registryHost,
  registryRef,
  renderRegistryConfig,
  renderTrustScript,
  splitLocalTag,
} from './registry-config.js';
import { Gate } from './registry-process.js';

describe('registry address (PLAT_REGISTRY_ADDR)', () => {
  it('defaults to loopback, plain HTTP, port 5000', () => {
    expect(parseRegistryAddress(undefined)).toEqual({
      host: '127.0.0.1',
      port: 5000,
      tls: false,
      listenHost: '127.0.0.1',
    });
    expect(parseRegistryAddress('  ').port).toBe(5000);
  });

  it('uses TLS for any address other nodes reach', () => {
    expect(parseRegistryAddress('10.0.0.5:5443')).toEqual({
      host: '10.0.0.5',
      port: 5443,
      tls: true,
      listenHost: '10.0.0.5',
    });
    expect(parseRegistryAddress('Registry.Example.com').tls).toBe(true);
    expect(parseRegistryAddress('[fd00::1]:5000', '::')).toMatchObject({
      host: 'fd00::1',
      tls: true,
      listenHost: '::',
    });
    expect(parseRegistryAddress('localhost:5001').tls).toBe(false);
    expect(parseRegistryAddress('[::1]:5001').tls).toBe(false);
  });

  it('refuses what is not host[:port]', () => {
    for (const bad of ['http://x:5000', 'a b', 'host:99999', 'fd00::1', '[example.com]:5', 'x:5000/path', '-x'])
      expect(() => parseRegistryAddress(bad), bad).toThrow(/PLAT_REGISTRY_ADDR/);
    expect(() => parseRegistryAddress('10.0.0.5', 'not a host!')).toThrow(/PLAT_REGISTRY_LISTEN/);
  });

  it('names IPv6 registries in brackets, as Docker does', () => {
    expect(registryHost({ host: 'fd00::1', port: 5000 })).toBe('[fd00::1]:5000');
    expect(registryHost({ host: '10.0.0.5', port: 5000 })).toBe('10.0.0.5:5000');
  });
});

describe('registry config', () => {
  const base = { storageDir: '/var/lib/plat/registry/storage', listenHost: '127.0.0.1', port: 5000, httpSecret: 's3' };

  it('stores in the data dir, deletes enabled, loopback without TLS', () => {
    const yaml = renderRegistryConfig(base);
    expect(yaml).toContain('    rootdirectory: "/var/lib/plat/registry/storage"\n');
    expect(yaml).toContain('  delete:\n    enabled: true\n');
    expect(yaml).toContain('  addr: "127.0.0.1:5000"\n');
    expect(yaml).toContain('    readonly:\n      enabled: false\n');
    expect(yaml).not.toContain('tls:');
    expect(yaml).not.toContain('blobdescriptor');
  });

  it('serves mutual TLS with the given files', () => {
    const yaml = renderRegistryConfig({
      ...base,
      listenHost: '::',
      tls: { certificate: '/d/server.crt', key: '/d/server.key', clientCa: '/d/ca.crt' },
    });
    expect(yaml).toContain('  addr: "[::]:5000"\n');
    expect(yaml).toContain(
      '  tls:\n    certificate: "/d/server.crt"\n    key: "/d/server.key"\n    clientcas:\n      - "/d/ca.crt"\n',
    );
  });

  it('quotes paths so YAML cannot read them as anything else', () => {
    const yaml = renderRegistryConfig({ ...base, storageDir: '/tmp/a: "b"\n#c', readOnly: true });
    expect(yaml).toContain('rootdirectory: "/tmp/a: \\"b\\"\\n#c"\n');
    expect(yaml).toContain('      enabled: true\n');
  });
});

describe('image references', () => {
  it('puts a Plat build tag under the registry', () => {
    expect(registryRef('127.0.0.1:5000', 'plat/ab12-shop:0123456789ab')).toBe(
      '127.0.0.1:5000/plat/ab12-shop:0123456789ab',
    );
    expect(parseRegistryRef('127.0.0.1:5000/plat/ab12-shop:v1', '127.0.0.1:5000')).toEqual({
      registry: '127.0.0.1:5000',
      repository: 'plat/ab12-shop',
      tag: 'v1',
    });
  });

  it('refuses other images and other registries', () => {
    for (const bad of ['plat/shop', 'debian:12', 'plat/Shop:1', 'plat/shop:', 'plat/shop:-x', 'plat/../x:1'])
      expect(() => splitLocalTag(bad), bad).toThrow(/not a Plat image tag/);
    expect(() => parseRegistryRef('10.0.0.5:5000/plat/x:1', '127.0.0.1:5000')).toThrow(/not an image of the registry/);
  });

  it('follows the next page link of a list', () => {
    expect(nextPage({ link: '</v2/_catalog?last=b&n=2>; rel="next"' })).toBe('/v2/_catalog?last=b&n=2');
    expect(nextPage({})).toBeUndefined();
  });
});

describe('trust script for a node', () => {
  it('writes each file with its mode, the PEM verbatim', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const script = renderTrustScript([
      { path: '/etc/docker/certs.d/10.0.0.5:5000/ca.crt', pem, mode: 0o644 },
      { path: '/etc/docker/certs.d/10.0.0.5:5000/client.key', pem: 'KEY\n', mode: 0o600 },
    ]);
    expect(script).toBe(
      [
        "mkdir -p '/etc/docker/certs.d/10.0.0.5:5000'",
        "(umask 077 && cat >'/etc/docker/certs.d/10.0.0.5:5000/ca.crt' <<'PLAT_PEM'",
        '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        'PLAT_PEM',
        ')',
        "chmod 644 '/etc/docker/certs.d/10.0.0.5:5000/ca.crt'",
        "(umask 077 && cat >'/etc/docker/certs.d/10.0.0.5:5000/client.key' <<'PLAT_PEM'",
        'KEY',
        'PLAT_PEM',
        ')',
        "chmod 600 '/etc/docker/certs.d/10.0.0.5:5000/client.key'",
        '',
      ].join('\n'),
    );
    expect(renderTrustScript([])).toBe('');
  });
});

describe('gate between garbage collection and pushes', () => {
  it('lets collection run only once pushes end, and holds new pushes until it is done', async () => {
    const gate = new Gate();
    const order: string[] = [];
    let endPush!: () => void;
    const push = gate.shared(async () => {
      order.push('push start');
      await new Promise<void>((resolve) => (endPush = resolve));
      order.push('push end');
    });
    const gc = gate.exclusive(async () => {
      order.push('gc');
    });
    const later = gate.shared(async () => {
      order.push('later push');
    });
    await Promise.resolve();
    expect(order).toEqual(['push start']);
    endPush();
    await Promise.all([push, gc, later]);
    expect(order).toEqual(['push start', 'push end', 'gc', 'later push']);
  });
});
