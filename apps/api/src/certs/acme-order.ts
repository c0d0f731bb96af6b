/**
 * Gets a certificate for a set of hostnames from an ACME CA (RFC 8555) by
 * HTTP-01, with acme-client: the CA fetches
 * `http://<hostname>/.well-known/acme-challenge/<token>`, which the router
 * answers from the challenge store. A thin edge: no state of its own; the
 * certs loop decides when to call it (renewal-plan.ts) and stores the result.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { checkCertificate, parseChain, type CertificateSummary } from './certificate.js';

/** acme-client (and its axios) loads on the first order: a platd that never orders does not carry it. */
const loadAcme = async () => (await import('acme-client')).default;

/** Where the router finds the answer to a challenge; it serves `keyAuthorization` as text/plain. */
export interface ChallengeStore {
  set(token: string, keyAuthorization: string): void | Promise<void>;
  remove(token: string): void | Promise<void>;
}

export interface AcmeOrder {
  /** The CA's directory (PLAT_ACME_DIRECTORY), e.g. Let's Encrypt's. */
  directoryUrl: string;
  accountKeyPem: string;
  /** Contact for expiry and policy mail from the CA. */
  email?: string;
  /** PEM file of extra CA certificates to trust for the directory (PLAT_ACME_CA_FILE), e.g. pebble's. */
  caFile?: string;
  hostnames: readonly string[];
  challenges: ChallengeStore;
  /** How often to ask the CA whether validation is done; acme-client's defaults (5 s, up to 30 s) when absent. */
  poll?: { minMs: number; maxMs: number; attempts: number };
}

export interface IssuedCertificate {
  /** Leaf first, then intermediates, as the CA sent them. */
  chainPem: string;
  /** A key made for this certificate alone (PKCS#8 PEM). */
  keyPem: string;
  summary: CertificateSummary;
}

/** An order that did not end in a certificate; `caMessage` is the CA's own words where it gave any. */
export class AcmeOrderFailed extends Error {
  readonly caMessage: string;
  readonly hostnames: readonly string[];

  constructor(hostnames: readonly string[], caMessage: string, options?: { cause?: unknown }) {
    const names = hostnames.length > 0 ? ` for ${hostnames.join(', ')}` : '';
    super(`Could not get a certificate${names}: ${caMessage}`, options);
    this.name = 'AcmeOrderFailed';
    this.caMessage = caMessage;
    this.hostnames = hostnames;
  }
}

/** A new ACME account key (ECDSA P-256, PKCS#8 PEM); the CA knows the account by it. */
export function createAccountKey(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

/*
 * acme-client sends every request through one shared axios instance with no
 * per-client TLS options, so trust for a private CA is kept per origin and
 * applied by one interceptor: another CA's requests keep the system roots.
 */
const agentsByOrigin = new Map<string, Agent>();
let interceptorInstalled = false;

async function trustCaFile(directoryUrl: string, caFile: string): Promise<void> {
  let pem: string;
  try {
    pem = await readFile(caFile, 'utf8');
  } catch (error) {
    throw new Error(`The ACME CA file ${caFile} cannot be read: ${(error as Error).message}`);
  }
  try {
    parseChain(pem);
  } catch (error) {
    throw new Error(`The ACME CA file ${caFile} holds no usable certificate: ${(error as Error).message}`);
  }
  agentsByOrigin.set(new URL(directoryUrl).origin, new Agent({ ca: [...rootCertificates, pem] }));
  if (interceptorInstalled) return;
  interceptorInstalled = true;
  const acme = await loadAcme();
  acme.axios.interceptors.request.use((config) => {
    const agent = config.url ? agentsByOrigin.get(new URL(config.url).origin) : undefined;
    if (agent) config.httpsAgent = agent;
    return config;
  });
}

function checkHostnames(hostnames: readonly string[]): string[] {
  const unique = [...new Set(hostnames.map((name) => name.trim().toLowerCase()).filter((name) => name !== ''))];
  if (unique.length === 0) throw new AcmeOrderFailed(hostnames, 'no hostnames to order a certificate for.');
  const wildcards = unique.filter((name) => name.includes('*'));
  if (wildcards.length > 0) {
    throw new AcmeOrderFailed(
      unique,
      `${wildcards.join(', ')}: a wildcard certificate needs the DNS-01 challenge, ` +
        'which Plat does not do; add one with plat certs:add instead.',
    );
  }
  return unique;
}

/** Orders, proves control of every hostname by HTTP-01, and returns the checked certificate with its new key. */
export async function orderCertificate(order: AcmeOrder): Promise<IssuedCertificate> {
  const hostnames = checkHostnames(order.hostnames);
  const { challenges } = order;
  try {
    if (order.caFile) await trustCaFile(order.directoryUrl, order.caFile);
    const acme = await loadAcme();
    const client = new acme.Client({
      directoryUrl: order.directoryUrl,
      accountKey: order.accountKeyPem,
      ...(order.poll
        ? { backoffMin: order.poll.minMs, backoffMax: order.poll.maxMs, backoffAttempts: order.poll.attempts }
        : {}),
    });
    const keyPem = createAccountKey();
    const [, csr] = await acme.crypto.createCsr({ commonName: hostnames[0]!, altNames: hostnames }, keyPem);
    const chainPem = await client.auto({
      csr,
      ...(order.email ? { email: order.email } : {}),
      // Setting a directory is the operator's consent to that CA's terms.
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // acme-client's own pre-check fetches the token over public DNS on port 80, which a host behind
      // NAT or a test on a free port cannot; the CA's validation is the one that counts.
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01') {
          throw new Error(`the CA offers no HTTP-01 challenge for ${authz.identifier.value}`);
        }
        await challenges.set(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        if (challenge.type === 'http-01') await challenges.remove(challenge.token);
      },
    });
    return { chainPem, keyPem, summary: checkCertificate({ chainPem, keyPem, hostnames }) };
  } catch (error) {
    if (error instanceof AcmeOrderFailed) throw error;
    throw new AcmeOrderFailed(hostnames, (error as Error).message || String(error), { cause: error });
  }
}
