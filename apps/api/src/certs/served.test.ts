import { describe, expect, it } from 'vitest';
import { servedCertificates, type ServableCertificate } from './served.js';

const DAY = 86_400_000;
const now = new Date('2026-06-01T00:00:00Z');

function cert(name: string, hostnames: string[], options: Partial<ServableCertificate> = {}): ServableCertificate {
  return {
    source: 'manual',
    hostnames,
    chainPem: `chain of ${name}`,
    keyPem: `key of ${name}`,
    notBefore: new Date(now.getTime() - DAY),
    notAfter: new Date(now.getTime() + 60 * DAY),
    ...options,
  };
}

const chains = (served: ReturnType<typeof servedCertificates>) =>
  served.map((entry) => [entry.chainPem.replace('chain of ', ''), entry.hostnames]);

describe('servedCertificates', () => {
  it('serves each hostname by a certificate that covers it, one entry per certificate', () => {
    const served = servedCertificates(
      ['shop.apps.example', 'www.shop.example', 'api.shop.example', 'other.example'],
      [cert('wild', ['*.shop.example']), cert('own', ['shop.apps.example'])],
      now,
    );
    expect(chains(served)).toEqual([
      ['own', ['shop.apps.example']],
      ['wild', ['www.shop.example', 'api.shop.example']],
    ]);
    expect(served[0]!.keyPem).toBe('key of own');
  });

  it('leaves hostnames no certificate covers to HTTP (a wildcard covers one label, not the bare domain)', () => {
    const served = servedCertificates(['shop.example', 'a.b.shop.example'], [cert('wild', ['*.shop.example'])], now);
    expect(served).toEqual([]);
  });

  it('prefers an own certificate over an automatic one, then the one that lasts longest', () => {
    const acme = cert('acme', ['www.shop.example'], { source: 'acme', notAfter: new Date(now.getTime() + 80 * DAY) });
    const short = cert('short', ['www.shop.example'], { notAfter: new Date(now.getTime() + 10 * DAY) });
    const long = cert('long', ['www.shop.example'], { notAfter: new Date(now.getTime() + 40 * DAY) });
    expect(chains(servedCertificates(['www.shop.example'], [acme, short, long], now))).toEqual([
      ['long', ['www.shop.example']],
    ]);
    expect(chains(servedCertificates(['www.shop.example'], [acme], now))).toEqual([['acme', ['www.shop.example']]]);
  });

  it('does not serve an expired or not yet valid certificate', () => {
    const expired = cert('expired', ['www.shop.example'], { notAfter: new Date(now.getTime() - 1) });
    const early = cert('early', ['www.shop.example'], { notBefore: new Date(now.getTime() + DAY) });
    const acme = cert('acme', ['www.shop.example'], { source: 'acme' });
    expect(servedCertificates(['www.shop.example'], [expired, early], now)).toEqual([]);
    expect(chains(servedCertificates(['www.shop.example'], [expired, acme], now))).toEqual([
      ['acme', ['www.shop.example']],
    ]);
  });
});
