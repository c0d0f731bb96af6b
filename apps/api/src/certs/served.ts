/**
 * Which certificate the router serves for each of an app's hostnames. Pure
 * over the stored certificates and the time, so the rule is tested without
 * nginx: a hostname is served by a valid certificate that covers it (by
 * browsers' matching rules), an own certificate (`plat certs:add`) before
 * an automatic one, then the one that lasts longest. An expired certificate
 * is not served: the hostname falls back to plain HTTP rather than a
 * browser error.
 */
import type { RouteCertificate } from '../router/router.js';
import { nameCovers } from './certificate.js';

export interface ServableCertificate {
  source: 'manual' | 'acme';
  /** The leaf's DNS names. */
  hostnames: readonly string[];
  chainPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

/** Whether any of a certificate's names covers the hostname. */
export function covers(names: readonly string[], hostname: string): boolean {
  return names.some((name) => nameCovers(name, hostname));
}

function better<T extends ServableCertificate>(a: T, b: T): T {
  if (a.source !== b.source) return a.source === 'manual' ? a : b;
  return b.notAfter.getTime() > a.notAfter.getTime() ? b : a;
}

function valid(cert: ServableCertificate, now: Date): boolean {
  return cert.notBefore.getTime() <= now.getTime() && now.getTime() < cert.notAfter.getTime();
}

/** The certificate the router serves for this hostname, if any. */
export function servingCertificate<T extends ServableCertificate>(
  hostname: string,
  certificates: readonly T[],
  now: Date,
): T | undefined {
  return certificates
    .filter((cert) => valid(cert, now) && covers(cert.hostnames, hostname))
    .reduce<T | undefined>((chosen, cert) => (chosen ? better(chosen, cert) : cert), undefined);
}

/** The certificate serving each hostname, grouped by certificate, in the order the hostnames come. */
export function servedCertificates(
  hostnames: readonly string[],
  certificates: readonly ServableCertificate[],
  now: Date,
): RouteCertificate[] {
  const served = new Map<ServableCertificate, string[]>();
  for (const hostname of hostnames) {
    const best = servingCertificate(hostname, certificates, now);
    if (best) served.set(best, [...(served.get(best) ?? []), hostname]);
  }
  return [...served].map(([cert, names]) => ({ hostnames: names, chainPem: cert.chainPem, keyPem: cert.keyPem }));
}
