/**
 * PLAT_API_DOMAIN: the router serves platd's API and git smart HTTP on a
 * hostname of their own. Its certificate comes from the operator's files
 * (checked at start: a bad one stops platd with the reason), or from ACME by
 * the renewal loop (a certificate of no app), or there is none and the API
 * domain is served on plain HTTP. Clients learn the URL to use from here.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApiDomainSettings, Settings } from '../config.js';
import { checkCertificate } from '../certs/certificate.js';
import { type ServableCertificate, servingCertificate } from '../certs/served.js';
import type { RouteCertificate, Router } from '../router/router.js';
import type { Sql } from '../store/database.js';
import { platformCertificates } from '../store/certificates.js';
import { notOrderable } from './certs-renewals.js';

export interface ApiDomainDeps {
  sql: Sql;
  settings: Pick<Settings, 'routerPort' | 'routerTlsPort'> & { apiDomain: ApiDomainSettings };
  router: Pick<Router, 'serveApiCertificate'>;
  log: (line: string) => void;
}

function readPem(setting: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${setting} (${path}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}

/**
 * The certificate in PLAT_API_CERT_FILE and PLAT_API_KEY_FILE, checked like
 * `plat certs:add` checks one: it must match the key, cover the hostname and
 * be valid now. Throws saying what is wrong.
 */
export function certificateFromFiles(
  hostname: string,
  files: { chainFile: string; keyFile: string },
): RouteCertificate {
  const chainPem = readPem('PLAT_API_CERT_FILE', files.chainFile);
  const keyPem = readPem('PLAT_API_KEY_FILE', files.keyFile);
  try {
    const summary = checkCertificate({ chainPem, keyPem, hostnames: [hostname] });
    // Re-encoded: only the key reaches nginx's key file, whatever else the file held.
    const key = createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem' }) as string;
    return { hostnames: [hostname], chainPem: summary.chainPem, keyPem: key };
  } catch (error) {
    throw new Error(
      `The API domain's certificate (PLAT_API_CERT_FILE ${files.chainFile}, PLAT_API_KEY_FILE ${files.keyFile}) ` +
        `cannot be served: ${(error as Error).message}`,
    );
  }
}

export class ApiDomain {
  readonly #deps: ApiDomainDeps;
  #served: RouteCertificate | undefined;

  constructor(deps: ApiDomainDeps) {
    this.#deps = deps;
  }

  get hostname(): string {
    return this.#deps.settings.apiDomain.hostname;
  }

  /** Whether platd orders the certificate itself (the renewal loop asks). */
  get ordersCertificate(): boolean {
    return this.#deps.settings.apiDomain.certificate.source === 'acme';
  }

  /** Hostnames the renewal loop orders for the platform. */
  orderedHostnames(): string[] {
    return this.ordersCertificate ? [this.hostname] : [];
  }

  /** Whether a certificate serves the API domain now: clients then talk HTTPS. */
  get secured(): boolean {
    return this.#served !== undefined;
  }

  /** The URL clients reach the API and git by through the router. */
  get url(): string {
    const { routerPort, routerTlsPort } = this.#deps.settings;
    return this.secured
      ? `https://${this.hostname}${routerTlsPort === 443 ? '' : `:${routerTlsPort}`}`
      : `http://${this.hostname}${routerPort === 80 ? '' : `:${routerPort}`}`;
  }

  /**
   * At start, before the first routes are applied: reads and checks the
   * certificate files (throws when they cannot be served), or takes the
   * stored ACME certificate, and hands it to the router.
   */
  async load(now = new Date()): Promise<void> {
    const { certificate } = this.#deps.settings.apiDomain;
    if (certificate.source === 'files') {
      await this.#serve(certificateFromFiles(this.hostname, certificate));
      return;
    }
    if (certificate.source === 'acme') {
      const unorderable = notOrderable(this.hostname);
      if (unorderable) this.#deps.log(`the API domain ${this.hostname} cannot get an ACME certificate: ${unorderable}`);
      await this.refresh(now);
      return;
    }
    this.#deps.log(
      `the API domain ${this.hostname} is served on plain HTTP: set PLAT_API_CERT_FILE and PLAT_API_KEY_FILE, ` +
        'or PLAT_ACME_EMAIL for an ACME certificate',
    );
  }

  /** The stored ACME certificate changed (issued, renewed): serve the best one now. */
  async refresh(now = new Date()): Promise<void> {
    if (!this.ordersCertificate) return;
    const stored: ServableCertificate[] = await platformCertificates(this.#deps.sql);
    const best = servingCertificate(this.hostname, stored, now);
    await this.#serve(best ? { hostnames: [this.hostname], chainPem: best.chainPem, keyPem: best.keyPem } : undefined);
  }

  async #serve(certificate: RouteCertificate | undefined): Promise<void> {
    this.#served = certificate;
    await this.#deps.router.serveApiCertificate(certificate);
  }
}
