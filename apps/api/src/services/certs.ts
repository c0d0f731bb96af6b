/**
 * An app's HTTPS certificates: what `plat certs` shows, and own certificates
 * added and removed. Every check runs before anything is stored; the router
 * picks up a change on the converge that follows (certs/served.ts says which
 * certificate serves which hostname).
 */
import { createPrivateKey } from 'node:crypto';
import { type Certificate, type CertificateAdded, type Certs, PlatError } from '@plat/core';
import { CertificateRejected, checkCertificate } from '../certs/certificate.js';
import { describeState, planRenewals } from '../certs/renewal-plan.js';
import { covers, type ServableCertificate, servingCertificate } from '../certs/served.js';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import {
  autoCertificatesEnabled,
  type CertificateRow,
  deleteManualCertificate,
  insertManualCertificate,
  listCertificates,
  setAutoCertificates,
  syncAcmeHostnames,
} from '../store/certificates.js';
import { listDomains } from '../store/domains.js';
import type { User } from '../store/users.js';
import { audit } from './audit.js';
import { notOrderable, orderable } from './certs-renewals.js';

/** The app's own hostname first, then its custom domains. */
export async function appHostnames(platform: Platform, app: AppRow): Promise<string[]> {
  const domains = await listDomains(platform.sql, app.id);
  return [platform.controller.hostnameOf(app.name), ...domains.map((domain) => domain.hostname)];
}

type Servable = ServableCertificate & { row: CertificateRow };

function servable(rows: CertificateRow[]): Servable[] {
  return rows.flatMap((row) =>
    row.chain_pem && row.key_pem && row.not_before && row.not_after
      ? [
          {
            source: row.source,
            hostnames: row.hostnames,
            chainPem: row.chain_pem,
            keyPem: row.key_pem,
            notBefore: row.not_before,
            notAfter: row.not_after,
            row,
          },
        ]
      : [],
  );
}

/** An automatic certificate's state by the renewal plan: ok, pending, or failing: <the CA's message>. */
export function acmeState(row: CertificateRow, now: Date): string {
  const [decision] = planRenewals(
    [
      {
        hostname: row.hostname ?? '',
        ...(row.not_after && row.chain_pem ? { notAfter: row.not_after } : {}),
        ...(row.not_before && row.chain_pem ? { notBefore: row.not_before } : {}),
        ...(row.attempt_started_at ? { attemptStartedAt: row.attempt_started_at } : {}),
        failures: row.failures,
        ...(row.last_failure_at
          ? { lastFailure: { at: row.last_failure_at, reason: row.last_error ?? 'the last order failed' } }
          : {}),
      },
    ],
    now,
  ).decisions;
  return describeState(decision!.state);
}

function certificateState(row: CertificateRow, now: Date): string {
  if (row.source === 'acme') return acmeState(row, now);
  if (row.not_after && now.getTime() >= row.not_after.getTime()) return 'expired';
  if (row.not_before && now.getTime() < row.not_before.getTime()) return 'not yet valid';
  return 'ok';
}

function presentCertificate(row: CertificateRow, now: Date): Certificate {
  return {
    id: row.id,
    source: row.source,
    hostnames: row.chain_pem || !row.hostname ? row.hostnames : [row.hostname],
    fingerprint: row.fingerprint,
    issuer: row.issuer,
    not_before: row.not_before?.toISOString() ?? null,
    not_after: row.not_after?.toISOString() ?? null,
    state: certificateState(row, now),
    created_at: row.created_at.toISOString(),
  };
}

/** What serves each hostname of the app over HTTPS, and every certificate it has. */
export async function certsOverview(platform: Platform, app: AppRow, now = new Date()): Promise<Certs> {
  const [rows, acm, hostnames] = await Promise.all([
    listCertificates(platform.sql, app.id),
    autoCertificatesEnabled(platform.sql, app.id),
    appHostnames(platform, app),
  ]);
  const candidates = servable(rows);
  return {
    acm,
    tls_port: platform.settings.routerTlsPort,
    hostnames: hostnames.map((hostname) => {
      const serving = servingCertificate(hostname, candidates, now)?.row;
      const ordered = rows.find((row) => row.source === 'acme' && row.hostname === hostname);
      const unserved = rows.find((row) => row.source === 'manual' && covers(row.hostnames, hostname));
      const unorderable = notOrderable(hostname);
      const state = serving
        ? certificateState(serving, now)
        : acm && ordered
          ? acmeState(ordered, now)
          : acm && unorderable
            ? `none: ${unorderable}`
            : acm
              ? 'pending'
              : unserved
                ? certificateState(unserved, now)
                : 'none';
      return {
        hostname,
        source: serving?.source ?? null,
        certificate_id: serving?.id ?? null,
        expires_at: serving?.not_after?.toISOString() ?? null,
        state,
      };
    }),
    certificates: rows.map((row) => presentCertificate(row, now)),
  };
}

/**
 * `plat certs:add`: the chain must belong to the key, be in order, be valid
 * now and cover at least one of the app's hostnames; it then serves every
 * hostname it covers. It replaces the app's own certificates whose names it
 * all covers (renewing is adding the new one). Refused: nothing is stored.
 */
export async function addCertificate(
  platform: Platform,
  app: AppRow,
  user: User,
  pem: { chainPem: string; keyPem: string },
): Promise<CertificateAdded> {
  const summary = checkCertificate(pem);
  const hostnames = await appHostnames(platform, app);
  const served = hostnames.filter((hostname) => covers(summary.hostnames, hostname));
  if (served.length === 0) {
    const names = summary.hostnames.length > 0 ? summary.hostnames.join(', ') : 'no DNS names at all';
    throw new CertificateRejected(
      'hostname_mismatch',
      `The certificate is for ${names}, which covers none of ${app.name}'s hostnames (${hostnames.join(', ')}). ` +
        'Add the domain first (plat domains:add), or use a certificate for one of them.',
    );
  }
  const existing = await listCertificates(platform.sql, app.id);
  const replaced = existing
    .filter((row) => row.source === 'manual')
    .filter((row) => row.hostnames.every((name) => summary.hostnames.includes(name) || covers(summary.hostnames, name)))
    .map((row) => row.id);
  const row = await insertManualCertificate(
    platform.sql,
    app.id,
    {
      hostnames: summary.hostnames,
      chainPem: summary.chainPem,
      // Re-encoded: only the key reaches nginx's key file, whatever else the upload held.
      keyPem: createPrivateKey(pem.keyPem).export({ type: 'pkcs8', format: 'pem' }) as string,
      fingerprint: summary.fingerprint,
      issuer: summary.issuer,
      notBefore: summary.notBefore,
      notAfter: summary.notAfter,
    },
    replaced,
  );
  if (!row) throw new PlatError('conflict', `${app.name} already has this certificate (${summary.fingerprint}).`);
  await audit(platform, app, user, 'cert.add', { hostnames: served, fingerprint: summary.fingerprint, replaced });
  await platform.controller.converge(app.name);
  return { ...presentCertificate(row, new Date()), covers: served, replaced };
}

/** `plat certs:remove`: the app's own certificate goes; its hostnames fall back to ACME or plain HTTP. */
export async function removeCertificate(platform: Platform, app: AppRow, user: User, id: string): Promise<void> {
  if (!(await deleteManualCertificate(platform.sql, app.id, id))) {
    throw new PlatError('not_found', `${app.name} has no certificate ${id} of its own (see plat certs).`);
  }
  await audit(platform, app, user, 'cert.remove', { id });
  await platform.controller.converge(app.name);
}

/**
 * `plat certs:auto:enable`: Plat orders a certificate for each of the app's
 * hostnames that HTTP-01 can prove, by the renewal loop, and renews them.
 */
export async function enableAutoCertificates(platform: Platform, app: AppRow, user: User): Promise<Certs> {
  await setAutoCertificates(platform.sql, app.id, true);
  await syncAcmeHostnames(platform.sql, app.id, (await appHostnames(platform, app)).filter(orderable));
  await audit(platform, app, user, 'certs.auto.enable');
  platform.certRenewals.wake();
  return certsOverview(platform, app);
}

/** `plat certs:auto:disable`: the automatic certificates go; own ones stay. */
export async function disableAutoCertificates(platform: Platform, app: AppRow, user: User): Promise<Certs> {
  await setAutoCertificates(platform.sql, app.id, false);
  await audit(platform, app, user, 'certs.auto.disable');
  await platform.controller.converge(app.name);
  return certsOverview(platform, app);
}
