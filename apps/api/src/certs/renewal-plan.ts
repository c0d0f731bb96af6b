/**
 * When automatic certificates are ordered and renewed, and what `plat certs`
 * shows for them. Pure over the stored facts and the time, so the certs loop
 * only runs what the plan says and every rule is tested without a CA.
 *
 * Rules: a hostname with no certificate is ordered at once; one whose
 * certificate expires within 30 days is renewed (Let's Encrypt's advice for
 * 90-day certificates), or within the last third of its lifetime when that
 * is shorter (a 6-day certificate renews after 4 days, not at once); after
 * a failed attempt the next waits with exponential backoff, so a hostname
 * whose DNS does not point here does not burn the CA's rate limit (Let's
 * Encrypt allows 5 failed validations per hostname an hour).
 */

export type CertificateState = { status: 'ok' } | { status: 'pending' } | { status: 'failing'; reason: string };

/** What is stored for one hostname under automatic certificates. */
export interface AutoCertificate {
  hostname: string;
  /** Expiry of the certificate served now; none yet if absent. */
  notAfter?: Date;
  /** Its start: with notAfter, its lifetime, which bounds how early it is renewed. */
  notBefore?: Date;
  /** Set while an order runs: when it started. */
  attemptStartedAt?: Date;
  /** Failed orders in a row since the last success; 0 or absent after one. */
  failures?: number;
  /** The latest failure: when, and the CA's (or Plat's) message. */
  lastFailure?: { at: Date; reason: string };
}

export type RenewalAction = 'order' | 'renew' | 'wait' | 'none';

export interface RenewalDecision {
  hostname: string;
  /** `order`/`renew` now; `wait` for a retry or an order in flight; `none` while the certificate is fresh. */
  action: RenewalAction;
  state: CertificateState;
  /** When this hostname next needs a look: renewal time, retry time, or the in-flight attempt's deadline. */
  nextAt?: Date;
}

export interface RenewalPlan {
  decisions: RenewalDecision[];
  /** Hostnames to order now (new and renewals), in input order. */
  due: string[];
  /** The earliest `nextAt` of hostnames not due now: when to plan again. */
  nextCheckAt?: Date;
}

export interface RenewalPolicy {
  renewBeforeMs: number;
  /** The wait after the first failure, doubled per further failure up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** An attempt with no outcome after this long died with its process (platd restarted): try again. */
  attemptTimeoutMs: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const defaultRenewalPolicy: RenewalPolicy = {
  renewBeforeMs: 30 * DAY,
  backoffMs: 15 * MINUTE,
  maxBackoffMs: DAY,
  attemptTimeoutMs: 15 * MINUTE,
};

/** The wait before the next attempt after `failures` failed ones in a row. */
export function retryDelay(failures: number, policy: RenewalPolicy = defaultRenewalPolicy): number {
  if (failures <= 0) return 0;
  // Past 2^20 the cap has long been reached; capping the exponent keeps the number finite.
  return Math.min(policy.backoffMs * 2 ** Math.min(failures - 1, 20), policy.maxBackoffMs);
}

/** The state as `plat certs` prints it: `ok`, `pending` or `failing: <reason>`. */
export function describeState(state: CertificateState): string {
  return state.status === 'failing' ? `failing: ${state.reason}` : state.status;
}

/** How long before expiry to renew: the policy's time, or a third of the lifetime when that is shorter. */
function renewBefore(cert: AutoCertificate, policy: RenewalPolicy): number {
  if (!cert.notAfter || !cert.notBefore) return policy.renewBeforeMs;
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
  return Math.min(policy.renewBeforeMs, Math.max(0, lifetime / 3));
}

function decide(cert: AutoCertificate, now: Date, policy: RenewalPolicy): RenewalDecision {
  const { hostname, notAfter, attemptStartedAt, lastFailure } = cert;
  const failures = cert.failures ?? 0;
  const at = now.getTime();
  const state = stateOf(cert, now);
  if (attemptStartedAt && at < attemptStartedAt.getTime() + policy.attemptTimeoutMs) {
    return { hostname, action: 'wait', state, nextAt: new Date(attemptStartedAt.getTime() + policy.attemptTimeoutMs) };
  }
  const renewAt = notAfter ? notAfter.getTime() - renewBefore(cert, policy) : at;
  const retryAt = failures > 0 && lastFailure ? lastFailure.at.getTime() + retryDelay(failures, policy) : at;
  const dueAt = Math.max(renewAt, retryAt);
  if (dueAt > at) return { hostname, action: retryAt > at ? 'wait' : 'none', state, nextAt: new Date(dueAt) };
  return { hostname, action: notAfter ? 'renew' : 'order', state };
}

/**
 * Failing from a failed order until one succeeds, even while the old
 * certificate still serves: someone must fix DNS before it expires. Otherwise
 * ok while a certificate is valid, pending until one is.
 */
function stateOf(cert: AutoCertificate, now: Date): CertificateState {
  if ((cert.failures ?? 0) > 0) {
    return { status: 'failing', reason: cert.lastFailure?.reason ?? 'the last order failed' };
  }
  return cert.notAfter && cert.notAfter.getTime() > now.getTime() ? { status: 'ok' } : { status: 'pending' };
}

export function planRenewals(
  certificates: readonly AutoCertificate[],
  now: Date,
  policy: RenewalPolicy = defaultRenewalPolicy,
): RenewalPlan {
  const decisions = certificates.map((cert) => decide(cert, now, policy));
  const due = decisions.filter((d) => d.action === 'order' || d.action === 'renew').map((d) => d.hostname);
  const later = decisions.flatMap((d) => (d.nextAt ? [d.nextAt.getTime()] : []));
  return {
    decisions,
    due,
    ...(later.length > 0 ? { nextCheckAt: new Date(Math.min(...later)) } : {}),
  };
}
