import { createHash, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, makeChain, type TestCertificate } from '../testing/certificates.js';
import {
  CertificateRejected,
  checkCertificate,
  dnsNames,
  nameCovers,
  parseChain,
  type CertificateProblem,
} from './certificate.js';

const DAY = 86_400_000;

function rejection(run: () => unknown): CertificateRejected {
  try {
    run();
  } catch (error) {
    if (error instanceof CertificateRejected) return error;
    throw error;
  }
  throw new Error('expected the certificate to be refused');
}

function refused(run: () => unknown, problem: CertificateProblem, message: RegExp): void {
  const error = rejection(run);
  expect(error.problem).toBe(problem);
  expect(error.id).toBe('invalid_params');
  expect(error.message).toMatch(message);
}

describe('nameCovers', () => {
  it.each([
    ['app1.plat.test', 'app1.plat.test', true],
    ['APP1.plat.test', 'app1.PLAT.test.', true],
    ['app1.plat.test', 'app2.plat.test', false],
    ['*.plat.test', 'app1.plat.test', true],
    ['*.plat.test', 'plat.test', false],
    ['*.plat.test', 'a.b.plat.test', false],
    ['*.plat.test', '*.plat.test', true],
    ['app1.plat.test', '*.plat.test', false],
    ['*.plat.test', '*.other.test', false],
    ['w*.plat.test', 'www.plat.test', false],
    ['*.test', 'plat.test', false],
    ['*.*.plat.test', 'a.b.plat.test', false],
  ])('%s covers %s: %s', (certName, hostname, covered) => {
    expect(nameCovers(certName, hostname)).toBe(covered);
  });
});

describe('dnsNames', () => {
  it('keeps DNS names only, lowercased, and drops quoted oddities', () => {
    expect(dnsNames('DNS:App1.plat.test, IP Address:127.0.0.1, DNS:*.plat.test, email:a@b.c')).toEqual([
      'app1.plat.test',
      '*.plat.test',
    ]);
    expect(dnsNames('DNS:"evil.test, DNS:good.test", DNS:real.test')).toEqual(['real.test']);
    expect(dnsNames(undefined)).toEqual([]);
  });
});

describe('checkCertificate', () => {
  let chain: { root: TestCertificate; intermediate: TestCertificate; leaf: TestCertificate };
  let fullChain: string;

  beforeAll(async () => {
    chain = await makeChain({ name: 'app1.plat.test', hostnames: ['app1.plat.test', '*.apps.plat.test'] });
    fullChain = chain.leaf.pem + chain.intermediate.pem;
  });

  it('accepts a good chain and summarises the leaf', () => {
    const summary = checkCertificate({
      chainPem: fullChain,
      keyPem: chain.leaf.keyPem,
      hostnames: ['app1.plat.test', 'x.apps.plat.test', '*.apps.plat.test'],
      trustedRootsPem: chain.root.pem,
    });
    const leaf = new X509Certificate(chain.leaf.pem);
    expect(summary.hostnames).toEqual(['app1.plat.test', '*.apps.plat.test']);
    expect(summary.issuer).toBe('CN=Plat Test Intermediate');
    expect(summary.subject).toBe('CN=app1.plat.test');
    expect(summary.chainLength).toBe(2);
    expect(summary.notAfter.getTime()).toBe(chain.leaf.certificate.notAfter.getTime());
    expect(summary.notBefore.getTime()).toBe(chain.leaf.certificate.notBefore.getTime());
    const sha256 = createHash('sha256').update(leaf.raw).digest('hex').toUpperCase().match(/../g)!.join(':');
    expect(summary.fingerprint).toBe(sha256);
    expect(parseChain(summary.chainPem).map((c) => c.fingerprint256)).toEqual(
      parseChain(fullChain).map((c) => c.fingerprint256),
    );
  });

  it('accepts a chain that includes the root the trust ends at', () => {
    const summary = checkCertificate({
      chainPem: fullChain + chain.root.pem,
      keyPem: chain.leaf.keyPem,
      trustedRootsPem: chain.root.pem,
    });
    expect(summary.chainLength).toBe(3);
  });

  it('refuses text that holds no certificate, or the key in its place', () => {
    const keyPem = chain.leaf.keyPem;
    refused(() => checkCertificate({ chainPem: 'hello', keyPem }), 'malformed', /No PEM certificate/);
    refused(() => checkCertificate({ chainPem: chain.leaf.keyPem, keyPem: chain.leaf.pem }), 'malformed', /swapped/);
    const broken = chain.leaf.pem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    refused(() => checkCertificate({ chainPem: broken, keyPem: chain.leaf.keyPem }), 'malformed', /not a valid X\.509/);
  });

  it('refuses a whole bundle pasted in as a chain', () => {
    refused(
      () => checkCertificate({ chainPem: chain.root.pem.repeat(11), keyPem: chain.leaf.keyPem }),
      'malformed',
      /11 certificates/,
    );
  });

  it('refuses a key that is missing, encrypted or from another pair', () => {
    refused(
      () => checkCertificate({ chainPem: fullChain, keyPem: chain.leaf.pem }),
      'malformed',
      /certificate and key files may be swapped/,
    );
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const encrypted = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' });
    refused(() => checkCertificate({ chainPem: fullChain, keyPem: encrypted as string }), 'malformed', /encrypted/);
    const other = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    refused(() => checkCertificate({ chainPem: fullChain, keyPem: other }), 'key_mismatch', /same key pair/);
  });

  it('says so when the key belongs to a later certificate: the leaf is not first', () => {
    refused(
      () => checkCertificate({ chainPem: chain.intermediate.pem + chain.leaf.pem, keyPem: chain.leaf.keyPem }),
      'key_mismatch',
      /belongs to certificate 2 in the chain; put the server certificate first/,
    );
  });

  it('refuses intermediates out of order and certificates that do not belong', async () => {
    const root2 = await makeCertificate({ name: 'Second Root', ca: true, issuer: chain.root });
    const leafUnderRoot2 = await makeCertificate({ name: 'deep', hostnames: ['deep.test'], issuer: root2 });
    refused(
      () =>
        checkCertificate({
          chainPem: leafUnderRoot2.pem + chain.root.pem + root2.pem,
          keyPem: leafUnderRoot2.keyPem,
        }),
      'chain_order',
      /out of order: the first certificate is signed by certificate 3/,
    );
    const stranger = await makeCertificate({ name: 'Stranger CA', ca: true });
    refused(
      () => checkCertificate({ chainPem: chain.leaf.pem + stranger.pem, keyPem: chain.leaf.keyPem }),
      'chain_order',
      /Certificate 2 in the chain \(CN=Stranger CA\) did not sign the first certificate/,
    );
  });

  it('refuses a chain missing its intermediate when roots are given', () => {
    refused(
      () => checkCertificate({ chainPem: chain.leaf.pem, keyPem: chain.leaf.keyPem, trustedRootsPem: chain.root.pem }),
      'untrusted',
      /ends at CN=app1\.plat\.test \(issuer CN=Plat Test Intermediate\).*missing intermediate/,
    );
    // Without roots, trust is left to clients: a self-signed certificate is fine.
    expect(checkCertificate({ chainPem: chain.leaf.pem, keyPem: chain.leaf.keyPem }).chainLength).toBe(1);
  });

  it('refuses hostnames the certificate does not cover, naming the ones it does', () => {
    refused(
      () =>
        checkCertificate({
          chainPem: fullChain,
          keyPem: chain.leaf.keyPem,
          hostnames: ['app1.plat.test', 'app2.plat.test', 'a.b.apps.plat.test'],
        }),
      'hostname_mismatch',
      /does not cover app2\.plat\.test, a\.b\.apps\.plat\.test; it is for app1\.plat\.test, \*\.apps\.plat\.test/,
    );
  });

  it('ignores the common name, as browsers do', async () => {
    const cnOnly = await makeCertificate({ name: 'app1.plat.test' });
    refused(
      () => checkCertificate({ chainPem: cnOnly.pem, keyPem: cnOnly.keyPem, hostnames: ['app1.plat.test'] }),
      'hostname_mismatch',
      /it is for no DNS names at all/,
    );
  });

  it('refuses an expired or not yet valid leaf, and an expired intermediate', async () => {
    const now = Date.now();
    const expired = await makeCertificate({
      name: 'old',
      hostnames: ['old.test'],
      notBefore: new Date(now - 100 * DAY),
      notAfter: new Date(now - DAY),
    });
    refused(
      () => checkCertificate({ chainPem: expired.pem, keyPem: expired.keyPem }),
      'expired',
      new RegExp(`The certificate expired on ${expired.certificate.notAfter.toISOString()}`),
    );
    const early = await makeCertificate({ name: 'new', hostnames: ['new.test'], notBefore: new Date(now + DAY) });
    refused(() => checkCertificate({ chainPem: early.pem, keyPem: early.keyPem }), 'not_yet_valid', /not valid until/);
    // The same certificate is good once the clock reaches it.
    expect(
      checkCertificate({ chainPem: early.pem, keyPem: early.keyPem, now: new Date(now + 2 * DAY) }).hostnames,
    ).toEqual(['new.test']);

    const oldIntermediate = await makeCertificate({
      name: 'Old Intermediate',
      ca: true,
      issuer: chain.root,
      notBefore: new Date(now - 9 * DAY),
      notAfter: new Date(now - DAY),
    });
    const leaf = await makeCertificate({ name: 'x', hostnames: ['x.test'], issuer: oldIntermediate });
    refused(
      () => checkCertificate({ chainPem: leaf.pem + oldIntermediate.pem, keyPem: leaf.keyPem }),
      'expired',
      /Certificate 2 in the chain \(CN=Old Intermediate\) expired on/,
    );
  });
});
