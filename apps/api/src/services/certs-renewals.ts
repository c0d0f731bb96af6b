/**
 * platd's automatic certificates: a loop that keeps one ACME certificate per
 * hostname of every app with `plat certs:auto:enable`, and the API domain's
 * when platd orders it (services/api-domain.ts). Each pass syncs the
 * hostnames, asks the renewal plan (certs/renewal-plan.ts) what is due,
 * orders those one at a time by HTTP-01 (certs/acme-order.ts, answered by the
 * router's challenge files) and stores the outcome: a certificate the router
 * then serves, or the CA's message, retried with backoff. It wakes on a
 * change and at least every minute, and sleeps until the plan's next check.
 */
import { closeSync, constants, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Settings } from '../config.js';
import { AcmeOrderFailed, type ChallengeStore, createAccountKey, orderCertificate } from '../certs/acme-order.js';
import { type AutoCertificate, defaultRenewalPolicy, planRenewals, type RenewalPolicy } from '../certs/renewal-plan.js';
import {
  appsWithAutoCertificates,
  type CertificateRow,
  listAcmeCertificates,
  recordAcmeFailure,
  recordAcmeIssued,
  startAcmeAttempt,
  syncAcmeHostnames,
  syncPlatformAcmeHostnames,
} from '../store/certificates.js';
import type { Sql } from '../store/database.js';

const PASS_INTERVAL_MS = 60_000;

export interface CertRenewalsDeps {
  sql: Sql;
  settings: Pick<Settings, 'acme' | 'dataDir'>;
  challenges: ChallengeStore;
  /** Every hostname the app answers: its own, then its domains. */
  hostnamesOf(app: { id: string; name: string }): Promise<string[]>;
  /** Makes the router serve what is stored now. */
  converge(app: string): Promise<void>;
  /** A line in the app's log (`plat[acme]: ...`). */
  event(app: string, line: string): void;
  log(line: string): void;
  /** Hostnames platd orders for itself (PLAT_API_DOMAIN without certificate files); none by default. */
  platformHostnames?(): string[];
  /** Makes the router serve the platform's new certificate. */
  platformIssued?(): Promise<void>;
  policy?: RenewalPolicy;
  /** The CA; tests put a stand-in here. */
  order?: typeof orderCertificate;
}

/**
 * Why an automatic certificate cannot cover the hostname, if it cannot:
 * wildcards need DNS-01, which Plat does not do, and names that never
 * resolve on the internet (`.localhost`, `.invalid`, RFC 6761), such as
 * `<app>.localhost` on a Plat without PLAT_DOMAIN, are never ordered.
 */
export function notOrderable(hostname: string): string | undefined {
  if (hostname.includes('*'))
    return 'a wildcard needs the DNS-01 challenge, which Plat does not do: use plat certs:add';
  if (/\.(localhost|invalid)$/.test(hostname)) return 'the name never resolves on the internet (set PLAT_DOMAIN)';
  return undefined;
}

export const orderable = (hostname: string): boolean => notOrderable(hostname) === undefined;

function autoCertificate(row: CertificateRow): AutoCertificate {
  return {
    hostname: row.hostname ?? '',
    ...(row.chain_pem && row.not_after ? { notAfter: row.not_after } : {}),
    ...(row.chain_pem && row.not_before ? { notBefore: row.not_before } : {}),
    ...(row.attempt_started_at ? { attemptStartedAt: row.attempt_started_at } : {}),
    failures: row.failures,
    ...(row.last_failure_at
      ? { lastFailure: { at: row.last_failure_at, reason: row.last_error ?? 'the last order failed' } }
      : {}),
  };
}

export class CertRenewals {
  readonly #deps: CertRenewalsDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #started = false;

  constructor(deps: CertRenewalsDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#started = true;
    this.wake();
  }

  stop(): void {
    this.#started = false;
    if (this.#timer) clearTimeout(this.#timer);
  }

  /** Something changed (automatic certificates on, a domain): plan again soon. */
  wake(): void {
    if (!this.#started) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#running = (async () => {
      let next: Date | undefined;
      try {
        next = await this.pass();
      } catch (error) {
        this.#deps.log(`certificates: a renewal pass failed: ${(error as Error).message}`);
      }
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      } else {
        this.#schedule(next ?? new Date(Date.now() + PASS_INTERVAL_MS));
      }
    })();
  }

  /** Resolves when the pass under way (if any) is done: for tests and shutdown. */
  async settle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #schedule(next: Date): void {
    if (!this.#started) return;
    const wait = Math.min(Math.max(next.getTime() - Date.now(), 1000), PASS_INTERVAL_MS);
    this.#timer = setTimeout(() => this.wake(), wait);
    this.#timer.unref();
  }

  /** One pass: sync hostnames, order what is due; resolves with when to look again. */
  async pass(now = new Date()): Promise<Date | undefined> {
    const { sql } = this.#deps;
    for (const app of await appsWithAutoCertificates(sql)) {
      await syncAcmeHostnames(sql, app.id, (await this.#deps.hostnamesOf(app)).filter(orderable));
    }
    await syncPlatformAcmeHostnames(sql, (this.#deps.platformHostnames?.() ?? []).filter(orderable));
    const rows = await listAcmeCertificates(sql);
    const plan = planRenewals(rows.map(autoCertificate), now, this.#deps.policy ?? defaultRenewalPolicy);
    const due = rows.filter((_, index) => ['order', 'renew'].includes(plan.decisions[index]!.action));
    for (const row of due) await this.#attempt(row);
    if (due.length === 0) return plan.nextCheckAt;
    // The orders took time and changed the plan.
    const after = await listAcmeCertificates(sql);
    return planRenewals(after.map(autoCertificate), new Date(), this.#deps.policy ?? defaultRenewalPolicy).nextCheckAt;
  }

  async #attempt(row: CertificateRow & { app_name: string | null }): Promise<void> {
    const { sql, settings } = this.#deps;
    const hostname = row.hostname!;
    // The platform's own certificate (the API domain) has no app log: platd's log says it.
    const owner = row.app_name ?? 'the API domain';
    const event = (line: string) => (row.app_name ? this.#deps.event(row.app_name, line) : undefined);
    await startAcmeAttempt(sql, row.id, new Date());
    try {
      const issued = await (this.#deps.order ?? orderCertificate)({
        ...settings.acme,
        accountKeyPem: this.#accountKey(),
        hostnames: [hostname],
        challenges: this.#deps.challenges,
      });
      const { summary } = issued;
      await recordAcmeIssued(sql, row.id, {
        hostnames: summary.hostnames,
        chainPem: summary.chainPem,
        keyPem: issued.keyPem,
        fingerprint: summary.fingerprint,
        issuer: summary.issuer,
        notBefore: summary.notBefore,
        notAfter: summary.notAfter,
      });
      const done = row.chain_pem ? 'Renewed' : 'Issued';
      const line = `${done} the certificate for ${hostname} (expires ${summary.notAfter.toISOString()})`;
      event(line);
      this.#deps.log(`certificates: ${owner}: ${line}`);
      if (row.app_name) await this.#deps.converge(row.app_name);
      else await this.#deps.platformIssued?.();
    } catch (error) {
      const reason = error instanceof AcmeOrderFailed ? error.caMessage : (error as Error).message;
      await recordAcmeFailure(sql, row.id, reason, new Date());
      const line = `Could not get a certificate for ${hostname}: ${reason}`;
      event(line);
      this.#deps.log(`certificates: ${owner}: ${line}`);
    }
  }

  /** The ACME account's key, made once and kept in the data dir (0600). */
  #accountKey(): string {
    const dir = join(this.#deps.settings.dataDir, 'acme');
    const path = join(dir, 'account-key.pem');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      return readFileSync(path, 'utf8');
    } catch {
      const pem = createAccountKey();
      const fd = openSync(
        path,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
      try {
        writeSync(fd, pem);
      } finally {
        closeSync(fd);
      }
      return pem;
    }
  }
}
