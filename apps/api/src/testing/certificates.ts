/**
 * X.509 certificates made in tests (node:crypto cannot sign one): CAs,
 * intermediates and server certificates with any names and validity, over
 * WebCrypto with @peculiar/x509 (pure JS, a dev dependency).
 */
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface TestCertificate {
  pem: string;
  keyPem: string;
  /** For signing certificates below this one. */
  keys: webcrypto.CryptoKeyPair;
  certificate: x509.X509Certificate;
}

export interface TestCertificateOptions {
  /** Common name of the subject. */
  name: string;
  /** DNS names; `ips` go in as IP addresses. */
  hostnames?: string[];
  ips?: string[];
  /** Signed by this one; self-signed without it. */
  issuer?: TestCertificate;
  ca?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  /** A key pair of its own otherwise. */
  keys?: webcrypto.CryptoKeyPair;
}

async function keyPem(keys: webcrypto.CryptoKeyPair): Promise<string> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as webcrypto.CryptoKey);
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
}

export function newKeys(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
}

export async function makeCertificate(options: TestCertificateOptions): Promise<TestCertificate> {
  const keys = options.keys ?? (await newKeys());
  const now = Date.now();
  const names = [
    ...(options.hostnames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(options.ca ?? false, undefined, true),
    new x509.KeyUsagesExtension(
      options.ca ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.digitalSignature,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (!options.ca) extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  if (options.issuer) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(options.issuer.keys.publicKey));
  }
  const common = {
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    notBefore: options.notBefore ?? new Date(now - DAY),
    notAfter: options.notAfter ?? new Date(now + 90 * DAY),
    signingAlgorithm: ALGORITHM,
    extensions,
  };
  const certificate = options.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: `CN=${options.name}`,
        issuer: options.issuer.certificate.subject,
        publicKey: keys.publicKey,
        signingKey: options.issuer.keys.privateKey,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: `CN=${options.name}`, keys });
  // PEM files end in a newline; Go's PEM reader (pebble) finds no block in concatenated ones otherwise.
  return { pem: `${certificate.toString('pem')}\n`, keyPem: `${await keyPem(keys)}\n`, keys, certificate };
}

/** A root, an intermediate it signed, and a server certificate the intermediate signed. */
export async function makeChain(leaf: Omit<TestCertificateOptions, 'issuer' | 'ca'>): Promise<{
  root: TestCertificate;
  intermediate: TestCertificate;
  leaf: TestCertificate;
}> {
  const root = await makeCertificate({ name: 'Plat Test Root', ca: true });
  const intermediate = await makeCertificate({ name: 'Plat Test Intermediate', ca: true, issuer: root });
  return { root, intermediate, leaf: await makeCertificate({ ...leaf, issuer: intermediate }) };
}
