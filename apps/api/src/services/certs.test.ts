/**
 * Own certificates through the service, over the real state store and the
 * in-memory router: what is stored, what the route serves, and that every
 * refusal leaves both as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertApp, type AppRow } from '../store/apps.js';
import { listCertificates } from '../store/certificates.js';
import { insertDomain } from '../store/domains.js';
import { ensureUser, type User } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { makeCertificate, makeChain, type TestCertificate } from '../testing/certificates.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { addCertificate, certsOverview, removeCertificate } from './certs.js';

const DAY = 86_400_000;
let fake: FakePlatform;
let app: AppRow;
let user: User;

const pem = (cert: TestCertificate, chain = '') => ({ chainPem: cert.pem + chain, keyPem: cert.keyPem });

beforeAll(async () => {
  fake = await startFakePlatform(backends.find((backend) => backend.name === 'PostgreSQL server')!);
  user = await ensureUser(fake.platform.sql, 'certs@example.com', false);
  app = (await insertApp(fake.platform.sql, 'shop', user.id))!;
  await insertDomain(fake.platform.sql, app.id, 'www.shop.example');
  await insertDomain(fake.platform.sql, app.id, 'api.shop.example');
  await fake.platform.controller.converge('shop');
});
afterAll(async () => {
  await fake?.close();
});

/** Runs `action`, which must be refused, and checks nothing was stored or routed anew. */
async function expectRefused(action: () => Promise<unknown>, why: RegExp): Promise<void> {
  const stored = await listCertificates(fake.platform.sql, app.id);
  const applies = fake.router.history.length;
  await expect(action()).rejects.toThrow(why);
  expect(await listCertificates(fake.platform.sql, app.id)).toEqual(stored);
  expect(fake.router.history).toHaveLength(applies);
}

describe('own certificates', () => {
  let www: Awaited<ReturnType<typeof makeChain>>;
  let wwwId: string;

  it('shows every hostname with no certificate as HTTP only', async () => {
    const overview = await certsOverview(fake.platform, app);
    expect(overview).toMatchObject({ acm: false, tls_port: fake.platform.settings.routerTlsPort, certificates: [] });
    expect(overview.hostnames.map((entry) => [entry.hostname, entry.source, entry.state])).toEqual([
      ['shop.localhost', null, 'none'],
      ['api.shop.example', null, 'none'],
      ['www.shop.example', null, 'none'],
    ]);
    expect(fake.router.routeOf('shop')?.certificates).toBeUndefined();
  });

  it('refuses a certificate that is expired, for another key, or for none of the app hostnames', async () => {
    const expired = await makeCertificate({
      name: 'www',
      hostnames: ['www.shop.example'],
      notBefore: new Date(Date.now() - 100 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    await expectRefused(() => addCertificate(fake.platform, app, user, pem(expired)), /The certificate expired on/);
    const other = await makeCertificate({ name: 'other', hostnames: ['www.shop.example'] });
    const mine = await makeCertificate({ name: 'www', hostnames: ['www.shop.example'] });
    await expectRefused(
      () => addCertificate(fake.platform, app, user, { chainPem: mine.pem, keyPem: other.keyPem }),
      /does not match the private key/,
    );
    const elsewhere = await makeCertificate({ name: 'blog', hostnames: ['blog.example.org'] });
    await expectRefused(
      () => addCertificate(fake.platform, app, user, pem(elsewhere)),
      new RegExp(
        "is for blog\\.example\\.org, which covers none of shop's hostnames " +
          '\\(shop\\.localhost, api\\.shop\\.example, www\\.shop\\.example\\)',
      ),
    );
    await expectRefused(
      () => addCertificate(fake.platform, app, user, { chainPem: mine.keyPem, keyPem: mine.pem }),
      /No PEM certificate found.*swapped/,
    );
  });

  it('serves a certificate for the hostnames it covers, with its chain, and shows it', async () => {
    www = await makeChain({ name: 'www', hostnames: ['www.shop.example'] });
    const added = await addCertificate(fake.platform, app, user, pem(www.leaf, www.intermediate.pem));
    wwwId = added.id;
    expect(added).toMatchObject({
      source: 'manual',
      hostnames: ['www.shop.example'],
      covers: ['www.shop.example'],
      issuer: 'CN=Plat Test Intermediate',
      state: 'ok',
      replaced: [],
    });
    const route = fake.router.routeOf('shop')!;
    expect(route.certificates).toHaveLength(1);
    expect(route.certificates![0]!.hostnames).toEqual(['www.shop.example']);
    expect(route.certificates![0]!.chainPem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(route.certificates![0]!.keyPem).toContain('-----BEGIN PRIVATE KEY-----');
    const overview = await certsOverview(fake.platform, app);
    expect(overview.hostnames.find((entry) => entry.hostname === 'www.shop.example')).toEqual({
      hostname: 'www.shop.example',
      source: 'manual',
      certificate_id: added.id,
      expires_at: added.not_after,
      state: 'ok',
    });
    expect(JSON.stringify(overview)).not.toContain('PRIVATE KEY');
  });

  it('refuses the same certificate twice', async () => {
    await expectRefused(
      () => addCertificate(fake.platform, app, user, pem(www.leaf, www.intermediate.pem)),
      /shop already has this certificate/,
    );
  });

  it('replaces own certificates whose names a new one all covers, and keeps the others', async () => {
    const api = await makeCertificate({ name: 'api', hostnames: ['api.shop.example'] });
    const apiAdded = await addCertificate(fake.platform, app, user, pem(api));
    const wildcard = await makeCertificate({ name: 'wild', hostnames: ['*.shop.example'] });
    const wildAdded = await addCertificate(fake.platform, app, user, pem(wildcard));
    expect(wildAdded.covers).toEqual(['api.shop.example', 'www.shop.example']);
    expect(wildAdded.replaced.sort()).toEqual([apiAdded.id, wwwId].sort());
    const left = await listCertificates(fake.platform.sql, app.id);
    expect(left.map((row) => row.hostnames)).toEqual([['*.shop.example']]);
    expect(fake.router.routeOf('shop')!.certificates!.map((cert) => cert.hostnames)).toEqual([
      ['api.shop.example', 'www.shop.example'],
    ]);
  });

  it('removes an own certificate: its hostnames go back to HTTP only', async () => {
    const [only] = await listCertificates(fake.platform.sql, app.id);
    await expectRefused(
      () => removeCertificate(fake.platform, app, user, '00000000-0000-0000-0000-000000000000'),
      /shop has no certificate 00000000-0000-0000-0000-000000000000 of its own/,
    );
    await removeCertificate(fake.platform, app, user, only!.id);
    expect(await listCertificates(fake.platform.sql, app.id)).toEqual([]);
    expect(fake.router.routeOf('shop')?.certificates).toBeUndefined();
  });
});
