/**
 * Checks over a TLS certificate chain and its private key, as PEM, before the
 * router may serve them: the chain parses and is in order (leaf first, each
 * certificate signed by the next), the leaf belongs to the key, covers the
 * hostnames and is valid now. Pure over node:crypto, so every refusal is tested
 * without nginx; each says what is wrong and how to fix it.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { PlatError } from '@plat/core';

/** Why a certificate was refused; the message says it for people. */
export type CertificateProblem =
  | 'malformed'
  | 'key_mismatch'
  | 'hostname_mismatch'
  | 'expired'
  | 'not_yet_valid'
  | 'chain_order'
  | 'untrusted';

export class CertificateRejected extends PlatError {
  readonly problem: CertificateProblem;

  constructor(problem: CertificateProblem, message: string) {
    super('invalid_params', message);
    this.name = 'CertificateRejected';
    this.problem = problem;
  }
}

export interface CertificateSummary {
  /** The leaf's DNS subject alternative names, lowercased, as browsers match them. */
  hostnames: string[];
  notBefore: Date;
  notAfter: Date;
  /** The leaf's issuer, one line (`CN=..., O=..., C=...`). */
  issuer: string;
  subject: string;
  /** SHA-256 of the leaf, colon-separated hex, as `openssl x509 -fingerprint -sha256` shows it. */
  fingerprint: string;
  /** Certificates in the chain, leaf included. */
  chainLength: number;
  /** The chain re-encoded leaf first, one PEM block per certificate: what nginx is given. */
  chainPem: string;
}

export interface CertificateCheck {
  chainPem: string;
  keyPem: string;
  /** Hostnames the leaf must cover (`*.example.com` only by the same wildcard). */
  hostnames?: readonly string[];
  now?: Date;
  /** PEM roots the chain must end at; without them, trust is left to the clients. */
  trustedRootsPem?: string;
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const PRIVATE_KEY_BEGIN = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
// A chain longer than this is a mistake (a whole CA bundle pasted in), not a chain.
const MAX_CHAIN = 10;

function reject(problem: CertificateProblem, message: string): never {
  throw new CertificateRejected(problem, message);
}

function position(index: number): string {
  return index === 0 ? 'the first certificate' : `certificate ${index + 1} in the chain`;
}

/** The certificates of a PEM chain in the order given; refuses anything that is not one. */
export function parseChain(pem: string): X509Certificate[] {
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) {
    const hint = PRIVATE_KEY_BEGIN.test(pem)
      ? ' It holds a private key: the certificate and the key files may be swapped.'
      : '';
    reject('malformed', `No PEM certificate found: expected a "-----BEGIN CERTIFICATE-----" block.${hint}`);
  }
  if (blocks.length > MAX_CHAIN) {
    reject(
      'malformed',
      `The chain holds ${blocks.length} certificates; expected the server certificate and its ` +
        `intermediates (at most ${MAX_CHAIN}), not a whole CA bundle.`,
    );
  }
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      const why = (error as Error).message;
      return reject('malformed', `${capitalize(position(index))} is not a valid X.509 certificate: ${why}.`);
    }
  });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function parsePrivateKey(pem: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) {
    reject(
      'malformed',
      'The private key is encrypted with a passphrase; give it unencrypted ' +
        '(openssl pkey -in key.pem -out key-plain.pem).',
    );
  }
  if (!PRIVATE_KEY_BEGIN.test(pem)) {
    const hint = pem.includes('-----BEGIN CERTIFICATE-----')
      ? ' It holds a certificate: the certificate and key files may be swapped.'
      : '';
    reject('malformed', `No PEM private key found: expected a "-----BEGIN PRIVATE KEY-----" block.${hint}`);
  }
  try {
    return createPrivateKey(pem);
  } catch (error) {
    return reject('malformed', `The private key cannot be read: ${(error as Error).message}.`);
  }
}

/**
 * The DNS names in a subjectAltName string as node:crypto renders it
 * (`DNS:a.example, IP Address:127.0.0.1`); values with unusual characters come
 * JSON-quoted, and such a name can never match a hostname, so it is dropped.
 */
export function dnsNames(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const names: string[] = [];
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (const match of subjectAltName.matchAll(entry)) {
    const [, kind, value = ''] = match;
    if (kind === 'DNS' && !value.startsWith('"')) names.push(value.toLowerCase());
  }
  return names;
}

/**
 * Whether a certificate name covers a hostname, by RFC 6125 as browsers apply
 * it: exact (case-insensitive), or `*.example.com` for exactly one whole label
 * before `example.com` (not `example.com` itself, not `a.b.example.com`, no
 * partial-label wildcards like `w*.example.com`). A wildcard hostname is only
 * covered by the same wildcard.
 */
export function nameCovers(certName: string, hostname: string): boolean {
  const name = certName.toLowerCase().replace(/\.$/, '');
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (name === host) return true;
  if (!name.startsWith('*.') || host.startsWith('*.')) return false;
  const base = name.slice(2);
  // The wildcard must stand over a registrable-looking domain: `*.com` covers nothing.
  if (base.includes('*') || !base.includes('.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === base;
}

function dateOf(text: string): Date {
  // node:crypto renders validity as `Mar 25 12:00:05 2049 GMT`, which Date parses as UTC.
  return new Date(text);
}

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

function checkOrder(chain: X509Certificate[]): void {
  for (let index = 0; index + 1 < chain.length; index++) {
    const child = chain[index]!;
    if (signedBy(child, chain[index + 1]!)) continue;
    const issuerAt = chain.findIndex((other, at) => at !== index && signedBy(child, other));
    if (issuerAt >= 0) {
      reject(
        'chain_order',
        `The chain is out of order: ${position(index)} is signed by ${position(issuerAt)}, ` +
          'but each certificate must be followed by the one that signed it ' +
          '(server certificate first, then intermediates).',
      );
    }
    const parent = `${capitalize(position(index + 1))} (${oneLine(chain[index + 1]!.subject)})`;
    reject(
      'chain_order',
      `${parent} did not sign ${position(index)} (issuer ${oneLine(child.issuer)}); ` +
        'the chain holds a certificate that does not belong to it.',
    );
  }
}

function checkTrust(chain: X509Certificate[], rootsPem: string): void {
  const roots = parseChain(rootsPem);
  const last = chain.at(-1)!;
  const trusted = roots.some((root) => root.fingerprint256 === last.fingerprint256 || signedBy(last, root));
  if (!trusted) {
    reject(
      'untrusted',
      `The chain ends at ${oneLine(last.subject)} (issuer ${oneLine(last.issuer)}), which no ` +
        'trusted root signed; add the missing intermediate certificates after the server certificate.',
    );
  }
}

function checkValidity(chain: X509Certificate[], now: Date): void {
  for (const [index, certificate] of chain.entries()) {
    const notBefore = dateOf(certificate.validFrom);
    const notAfter = dateOf(certificate.validTo);
    const which = index === 0 ? 'The certificate' : `${capitalize(position(index))} (${oneLine(certificate.subject)})`;
    if (now.getTime() > notAfter.getTime()) reject('expired', `${which} expired on ${notAfter.toISOString()}.`);
    if (now.getTime() < notBefore.getTime()) {
      reject(
        'not_yet_valid',
        `${which} is not valid until ${notBefore.toISOString()}; check the clock of the machine that made it.`,
      );
    }
  }
}

function oneLine(distinguishedName: string): string {
  // node:crypto renders a name as `C=US\nO=Org\nCN=R3`; people read it most-specific first.
  return distinguishedName.split('\n').filter(Boolean).reverse().join(', ');
}

/**
 * Checks a chain and key for serving; returns what `plat certs` shows, or
 * throws CertificateRejected (invalid_params) saying what is wrong.
 */
export function checkCertificate(check: CertificateCheck): CertificateSummary {
  const chain = parseChain(check.chainPem);
  const key = parsePrivateKey(check.keyPem);
  const leaf = chain[0]!;
  if (!leaf.checkPrivateKey(key)) {
    const keyAt = chain.findIndex((certificate) => certificate.checkPrivateKey(key));
    reject(
      'key_mismatch',
      keyAt > 0
        ? `The key belongs to ${position(keyAt)}; put the server certificate first, then its intermediates.`
        : 'The certificate does not match the private key: they are not from the same key pair.',
    );
  }
  checkOrder(chain);
  if (check.trustedRootsPem !== undefined) checkTrust(chain, check.trustedRootsPem);
  checkValidity(chain, check.now ?? new Date());
  const hostnames = dnsNames(leaf.subjectAltName);
  const uncovered = (check.hostnames ?? []).filter((host) => !hostnames.some((name) => nameCovers(name, host)));
  if (uncovered.length > 0) {
    const names = hostnames.length > 0 ? hostnames.join(', ') : 'no DNS names at all';
    reject('hostname_mismatch', `The certificate does not cover ${uncovered.join(', ')}; it is for ${names}.`);
  }
  return {
    hostnames,
    notBefore: dateOf(leaf.validFrom),
    notAfter: dateOf(leaf.validTo),
    issuer: oneLine(leaf.issuer),
    subject: oneLine(leaf.subject),
    fingerprint: leaf.fingerprint256,
    chainLength: chain.length,
    chainPem: `${chain.map((certificate) => certificate.toString().trim()).join('\n')}\n`,
  };
}
