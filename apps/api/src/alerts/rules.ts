/**
 * What Plat alerts about, as pure rules over facts gathered elsewhere: a
 * certificate near its end or failing to renew, a failed backup, a dyno in a
 * crash loop, the data dir's disk nearly full. An alert stays open while its
 * cause holds and is resolved once it no longer does; it is said once when
 * it opens and once when it resolves, never again in between.
 */
export const ALERT_KINDS = [
  'cert_expiring',
  'cert_renewal_failing',
  'backup_failed',
  /** A backup's restore drill failed (issue 21): resolved by the add-on's next verified backup. */
  'backup_unverified',
  'crash_loop',
  'disk_full',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Kinds the periodic check owns; backup_failed opens and resolves with each backup instead. */
export const CHECKED_KINDS: readonly AlertKind[] = ['cert_expiring', 'cert_renewal_failing', 'crash_loop', 'disk_full'];

export const CERT_EXPIRY_WARNING_MS = 14 * 24 * 3600_000;
/** Restarts in a row (without staying up) that make a crash loop. */
export const CRASH_LOOP_RESTARTS = 3;
export const DISK_FULL_FRACTION = 0.9;

/** An alert that should be open: null appId for the whole platform. */
export interface WantedAlert {
  appId: string | null;
  kind: AlertKind;
  /** What it is about, unique per app and kind: a hostname, an add-on, a dyno, the data dir. */
  subject: string;
  message: string;
}

export interface OpenAlert {
  appId: string | null;
  kind: AlertKind;
  subject: string;
  message: string;
}

export interface CertificateFacts {
  /** Null for the platform's own certificate (PLAT_API_DOMAIN). */
  appId: string | null;
  source: 'manual' | 'acme';
  /** acme: the hostname it is ordered for. */
  hostname: string | null;
  hostnames: string[];
  /** Undefined while no certificate was ever issued (an ACME order still failing). */
  notAfter: Date | null;
  failures: number;
  lastError: string | null;
}

const DAY = 24 * 3600_000;

function certSubject(cert: CertificateFacts): string {
  if (cert.hostname) return cert.hostname;
  const names = [...cert.hostnames].sort();
  const shown = names.slice(0, 3).join(', ');
  return names.length > 3 ? `${shown} (+${names.length - 3})` : shown;
}

export function certificateAlerts(certs: readonly CertificateFacts[], now: Date): WantedAlert[] {
  const wanted: WantedAlert[] = [];
  for (const cert of certs) {
    const subject = certSubject(cert);
    if (cert.notAfter) {
      const left = cert.notAfter.getTime() - now.getTime();
      if (left <= CERT_EXPIRY_WARNING_MS) {
        const when = cert.notAfter.toISOString();
        const message =
          left <= 0
            ? `The certificate for ${subject} expired at ${when}`
            : `The certificate for ${subject} expires in ${Math.max(1, Math.floor(left / DAY))} day(s), at ${when}` +
              (cert.source === 'manual' ? ': add a new one with plat certs:add' : '');
        wanted.push({ appId: cert.appId, kind: 'cert_expiring', subject, message });
      }
    }
    if (cert.source === 'acme' && cert.failures > 0) {
      const doing = cert.notAfter ? 'renew' : 'get';
      wanted.push({
        appId: cert.appId,
        kind: 'cert_renewal_failing',
        subject,
        message:
          `Could not ${doing} the certificate for ${subject} (${cert.failures} failed attempt(s))` +
          (cert.lastError ? `: ${cert.lastError.slice(0, 500)}` : ''),
      });
    }
  }
  return wanted;
}

export interface CrashLoop {
  appId: string;
  dyno: string;
  restarts: number;
  exitCode: number;
}

export function crashLoopAlerts(loops: readonly CrashLoop[]): WantedAlert[] {
  return loops
    .filter((loop) => loop.restarts >= CRASH_LOOP_RESTARTS)
    .map((loop) => ({
      appId: loop.appId,
      kind: 'crash_loop' as const,
      subject: loop.dyno,
      message: `${loop.dyno} is in a crash loop: crashed ${loop.restarts} times in a row (last exit ${loop.exitCode})`,
    }));
}

export interface DiskUsage {
  path: string;
  totalBytes: number;
  freeBytes: number;
}

export function diskAlert(usage: DiskUsage | undefined): WantedAlert[] {
  if (!usage || usage.totalBytes <= 0) return [];
  const used = 1 - usage.freeBytes / usage.totalBytes;
  if (used <= DISK_FULL_FRACTION) return [];
  const gb = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  return [
    {
      appId: null,
      kind: 'disk_full',
      subject: usage.path,
      message:
        `The disk of Plat's data dir ${usage.path} is ${Math.floor(used * 100)}% full ` +
        `(${gb(usage.freeBytes)} free of ${gb(usage.totalBytes)}): see plat admin:disk`,
    },
  ];
}

const keyOf = (alert: { appId: string | null; kind: string; subject: string }) =>
  `${alert.appId ?? '-'}\u0000${alert.kind}\u0000${alert.subject}`;

/**
 * What the periodic check changes: alerts wanted and not open are raised
 * (or, if open with another message, updated quietly); open alerts of the
 * checked kinds no longer wanted are resolved.
 */
export function reconcileAlerts(
  open: readonly OpenAlert[],
  wanted: readonly WantedAlert[],
  kinds: readonly AlertKind[] = CHECKED_KINDS,
): { raise: WantedAlert[]; resolve: OpenAlert[] } {
  const openKeys = new Map(open.map((alert) => [keyOf(alert), alert]));
  const wantedKeys = new Set(wanted.map(keyOf));
  return {
    raise: wanted.filter((alert) => openKeys.get(keyOf(alert))?.message !== alert.message),
    resolve: open.filter((alert) => kinds.includes(alert.kind) && !wantedKeys.has(keyOf(alert))),
  };
}
