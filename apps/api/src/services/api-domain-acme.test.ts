/**
 * The API domain's certificate by ACME (PLAT_API_DOMAIN without certificate
 * files): the renewal loop keeps a certificate of no app for it, over the
 * real state store, with a stand-in CA; the router's API server then serves it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcmeOrder, IssuedCertificate } from '../certs/acme-order.js';
import { checkCertificate } from '../certs/certificate.js';
import { insertApp } from '../store/apps.js';
import { listAcmeCertificates } from '../store/certificates.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { makeCertificate } from '../testing/certificates.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import type { ApiDomain } from './api-domain.js';
import { addDomain } from './domains.js';
import { CertRenewals } from './certs-renewals.js';

const DAY = 86_400_000;
let fake: FakePlatform;
let apiDomain: ApiDomain;
const orders: string[][] = [];
const logged: string[] = [];

async function standInCa(order: AcmeOrder): Promise<IssuedCertificate> {
  orders.push([...order.hostnames]);
  const cert = await makeCertificate({
    name: order.hostnames[0]!,
    hostnames: [...order.hostnames],
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 90 * DAY),
  });
  return {
    chainPem: cert.pem,
    keyPem: cert.keyPem,
    summary: checkCertificate({ chainPem: cert.pem, keyPem: cert.keyPem }),
  };
}

function renewals(hostnames: () => string[]): CertRenewals {
  return new CertRenewals({
    sql: fake.platform.sql,
    settings: fake.platform.settings,
    challenges: fake.router.challenges,
    hostnamesOf: async () => [],
    converge: async () => {},
    event: () => {},
    log: (line) => logged.push(line),
    order: standInCa,
    platformHostnames: hostnames,
    platformIssued: () => apiDomain.refresh(),
  });
}

beforeAll(async () => {
  fake = await startFakePlatform(backends.find((backend) => backend.name === 'PostgreSQL server')!, {
    apiDomain: { hostname: 'plat.shop.test', certificate: { source: 'acme' } },
  });
  apiDomain = fake.platform.apiDomain!;
});
afterAll(async () => {
  await fake?.close();
});

describe("the API domain's automatic certificate", () => {
  it('starts on HTTP with none stored', async () => {
    await apiDomain.load();
    expect(apiDomain.secured).toBe(false);
    expect(fake.router.apiCertificate).toBeUndefined();
  });

  it('is ordered by the renewal loop as a certificate of no app, and served on the API domain', async () => {
    await renewals(() => apiDomain.orderedHostnames()).pass();
    expect(orders).toEqual([['plat.shop.test']]);
    const rows = await listAcmeCertificates(fake.platform.sql);
    expect(rows.map((row) => [row.app_id, row.app_name, row.hostname])).toEqual([[null, null, 'plat.shop.test']]);
    expect(fake.router.apiCertificate?.chainPem).toBe(rows[0]!.chain_pem);
    // The fake platform's TLS port is the default, 443.
    expect(apiDomain.url).toBe('https://plat.shop.test');
    expect(logged.some((line) => line.startsWith('certificates: the API domain: Issued the certificate'))).toBe(true);
  });

  it('is served again at the next start, and renewed in the last third of its life', async () => {
    await apiDomain.load();
    expect(apiDomain.secured).toBe(true);
    const [before] = await listAcmeCertificates(fake.platform.sql);
    orders.length = 0;
    await renewals(() => apiDomain.orderedHostnames()).pass(new Date(before!.not_after!.getTime() - 29 * DAY));
    expect(orders).toEqual([['plat.shop.test']]);
    const [after] = await listAcmeCertificates(fake.platform.sql);
    expect(after!.fingerprint).not.toBe(before!.fingerprint);
    expect(fake.router.apiCertificate?.chainPem).toBe(after!.chain_pem);
  });

  it('is not an app domain: no app can add it', async () => {
    const user = await ensureUser(fake.platform.sql, 'api-domain@example.com', false);
    const app = (await insertApp(fake.platform.sql, 'shop', user.id))!;
    await expect(addDomain(fake.platform, app, user, 'PLAT.shop.test')).rejects.toThrow(/PLAT_API_DOMAIN/);
  });

  it('goes when platd no longer orders it (certificate files, or no API domain)', async () => {
    await renewals(() => []).pass();
    expect(await listAcmeCertificates(fake.platform.sql)).toEqual([]);
  });
});
