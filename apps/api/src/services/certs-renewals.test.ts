/**
 * The automatic-certificate loop over the real state store and the in-memory
 * router, with a stand-in CA: what it orders, when, what it stores and what
 * the route then serves. test/acme.test.ts runs it against pebble.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeOrderFailed, type AcmeOrder, type IssuedCertificate } from '../certs/acme-order.js';
import { checkCertificate } from '../certs/certificate.js';
import { insertApp, type AppRow } from '../store/apps.js';
import { listCertificates } from '../store/certificates.js';
import { deleteDomain, insertDomain, listDomains } from '../store/domains.js';
import { ensureUser, type User } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { makeCertificate } from '../testing/certificates.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { addCertificate, certsOverview, disableAutoCertificates, enableAutoCertificates } from './certs.js';
import { CertRenewals } from './certs-renewals.js';

const DAY = 86_400_000;
let fake: FakePlatform;
let app: AppRow;
let user: User;
let renewals: CertRenewals;
const events: string[] = [];
const orders: string[][] = [];
/** Hostnames the stand-in CA refuses, with its message. */
const refused = new Map<string, string>();
const VALIDITY_DAYS = 90;

/** A CA that proves nothing: it writes and removes a challenge as acme-client does, then signs. */
async function standInCa(order: AcmeOrder): Promise<IssuedCertificate> {
  orders.push([...order.hostnames]);
  await order.challenges.set('token-1', 'token-1.thumbprint');
  await order.challenges.remove('token-1');
  const hostname = order.hostnames[0]!;
  const reason = refused.get(hostname);
  if (reason) throw new AcmeOrderFailed(order.hostnames, reason);
  const cert = await makeCertificate({
    name: hostname,
    hostnames: [...order.hostnames],
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + VALIDITY_DAYS * DAY),
  });
  return {
    chainPem: cert.pem,
    keyPem: cert.keyPem,
    summary: checkCertificate({ chainPem: cert.pem, keyPem: cert.keyPem }),
  };
}

const states = async () =>
  (await certsOverview(fake.platform, app)).hostnames.map(
    (entry) => `${entry.hostname} ${entry.source} ${entry.state}`,
  );

beforeAll(async () => {
  fake = await startFakePlatform(backends.find((backend) => backend.name === 'PostgreSQL server')!);
  user = await ensureUser(fake.platform.sql, 'acme@example.com', false);
  app = (await insertApp(fake.platform.sql, 'shop', user.id))!;
  await insertDomain(fake.platform.sql, app.id, 'www.shop.test');
  await insertDomain(fake.platform.sql, app.id, 'nodns.shop.test');
  await insertDomain(fake.platform.sql, app.id, '*.api.shop.test');
  const { controller } = fake.platform;
  renewals = new CertRenewals({
    sql: fake.platform.sql,
    settings: fake.platform.settings,
    challenges: fake.router.challenges,
    hostnamesOf: async (of) => [
      controller.hostnameOf(of.name),
      ...(await listDomains(fake.platform.sql, of.id)).map((domain) => domain.hostname),
    ],
    converge: (name) => controller.converge(name),
    event: (_app, line) => events.push(line),
    log: () => {},
    order: standInCa,
  });
  refused.set('nodns.shop.test', 'DNS problem: NXDOMAIN looking up A for nodns.shop.test');
});
afterAll(async () => {
  await fake?.close();
});

describe('automatic certificates', () => {
  it('are pending once enabled, for every hostname HTTP-01 can prove', async () => {
    await enableAutoCertificates(fake.platform, app, user);
    expect(await states()).toEqual([
      'shop.localhost null none: the name never resolves on the internet (set PLAT_DOMAIN)',
      '*.api.shop.test null none: a wildcard needs the DNS-01 challenge, which Plat does not do: use plat certs:add',
      'nodns.shop.test null pending',
      'www.shop.test null pending',
    ]);
  });

  it('are ordered one hostname at a time and served; a refusal shows the CA message', async () => {
    await renewals.pass();
    expect(orders.sort()).toEqual([['nodns.shop.test'], ['www.shop.test']]);
    expect(fake.router.tokens.size).toBe(0);
    expect(await states()).toEqual([
      'shop.localhost null none: the name never resolves on the internet (set PLAT_DOMAIN)',
      '*.api.shop.test null none: a wildcard needs the DNS-01 challenge, which Plat does not do: use plat certs:add',
      'nodns.shop.test null failing: DNS problem: NXDOMAIN looking up A for nodns.shop.test',
      'www.shop.test acme ok',
    ]);
    expect(fake.router.routeOf('shop')!.certificates!.map((cert) => cert.hostnames)).toEqual([['www.shop.test']]);
    expect(events).toContain(
      'Could not get a certificate for nodns.shop.test: DNS problem: NXDOMAIN looking up A for nodns.shop.test',
    );
    expect(events.some((line) => line.startsWith('Issued the certificate for www.shop.test (expires '))).toBe(true);
  });

  it('waits out the backoff after a failure, and leaves a fresh certificate alone', async () => {
    orders.length = 0;
    const next = await renewals.pass();
    expect(orders).toEqual([]);
    // The failed hostname is retried after 15 minutes.
    expect(next!.getTime() - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(next!.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
  });

  it('renews a certificate in the last third of its life, and serves the new one', async () => {
    const [before] = (await listCertificates(fake.platform.sql, app.id)).filter(
      (row) => row.hostname === 'www.shop.test',
    );
    orders.length = 0;
    await renewals.pass(new Date(before!.not_after!.getTime() - 29 * DAY));
    expect(orders).toContainEqual(['www.shop.test']);
    const [after] = (await listCertificates(fake.platform.sql, app.id)).filter(
      (row) => row.hostname === 'www.shop.test',
    );
    expect(after!.fingerprint).not.toBe(before!.fingerprint);
    expect(events.some((line) => line.startsWith('Renewed the certificate for www.shop.test'))).toBe(true);
    expect(fake.router.routeOf('shop')!.certificates![0]!.chainPem).toBe(after!.chain_pem);
  });

  it('serves an own certificate before an automatic one', async () => {
    const own = await makeCertificate({ name: 'own', hostnames: ['www.shop.test'] });
    await addCertificate(fake.platform, app, user, { chainPem: own.pem, keyPem: own.keyPem });
    expect(await states()).toContain('www.shop.test manual ok');
    expect(fake.router.routeOf('shop')!.certificates![0]!.chainPem).toContain(own.pem.trim().split('\n')[1]);
  });

  it('drops the certificate of a domain that is gone, and all of them when disabled; own ones stay', async () => {
    await deleteDomain(fake.platform.sql, app.id, 'nodns.shop.test');
    await renewals.pass();
    const hostnames = async () =>
      (await listCertificates(fake.platform.sql, app.id)).map(
        (row) => `${row.source} ${row.hostname ?? row.hostnames}`,
      );
    expect((await hostnames()).sort()).toEqual(['acme www.shop.test', 'manual www.shop.test']);
    const overview = await disableAutoCertificates(fake.platform, app, user);
    expect(overview.acm).toBe(false);
    expect(await hostnames()).toEqual(['manual www.shop.test']);
    orders.length = 0;
    await renewals.pass();
    expect(orders).toEqual([]);
  });
});
