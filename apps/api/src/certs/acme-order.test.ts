import { createPrivateKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AcmeOrderFailed, createAccountKey, orderCertificate, type ChallengeStore } from './acme-order.js';

// Refusals that happen before any request; the orders themselves run against pebble in test/acme-order.test.ts.
const unreachable = 'https://127.0.0.1:9/dir';
const store: ChallengeStore = { set: () => undefined, remove: () => undefined };

describe('orderCertificate input', () => {
  it('refuses wildcards: HTTP-01 cannot prove them', async () => {
    const failure = orderCertificate({
      directoryUrl: unreachable,
      accountKeyPem: createAccountKey(),
      hostnames: ['app.plat.test', '*.plat.test'],
      challenges: store,
    });
    await expect(failure).rejects.toBeInstanceOf(AcmeOrderFailed);
    await expect(failure).rejects.toThrow(
      'Could not get a certificate for app.plat.test, *.plat.test: ' +
        '*.plat.test: a wildcard certificate needs the DNS-01',
    );
  });

  it('refuses an empty set of hostnames', async () => {
    for (const hostnames of [[], ['  ']]) {
      const order = { directoryUrl: unreachable, accountKeyPem: createAccountKey(), hostnames, challenges: store };
      await expect(orderCertificate(order)).rejects.toThrow(/no hostnames to order a certificate for/);
    }
  });

  it('refuses a CA file that holds no certificate', async () => {
    await expect(
      orderCertificate({
        directoryUrl: unreachable,
        accountKeyPem: createAccountKey(),
        caFile: new URL(import.meta.url).pathname,
        hostnames: ['app.plat.test'],
        challenges: store,
      }),
    ).rejects.toThrow(/The ACME CA file .*acme-order\.test\.ts holds no usable certificate: No PEM certificate/);
  });
});

describe('createAccountKey', () => {
  it('makes a fresh P-256 key each time', () => {
    const first = createPrivateKey(createAccountKey());
    expect(first.asymmetricKeyType).toBe('ec');
    expect(first.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(createAccountKey()).not.toBe(createAccountKey());
  });
});
