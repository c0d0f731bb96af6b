import type { TransactionSql } from 'postgres';
import type { Sql } from './database.js';

export type CertificateSource = 'manual' | 'acme';

export interface CertificateRow {
  id: string;
  /** Null for the platform's own certificate (PLAT_API_DOMAIN, ordered by ACME). */
  app_id: string | null;
  source: CertificateSource;
  /** acme: the hostname this row orders and renews; null for manual certificates. */
  hostname: string | null;
  /** The leaf's DNS names. */
  hostnames: string[];
  chain_pem: string | null;
  key_pem: string | null;
  fingerprint: string | null;
  issuer: string | null;
  not_before: Date | null;
  not_after: Date | null;
  attempt_started_at: Date | null;
  failures: number;
  last_failure_at: Date | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

/** A certificate as checked (certs/certificate.ts), ready to store. */
export interface CertificateFacts {
  hostnames: string[];
  chainPem: string;
  keyPem: string;
  fingerprint: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
}

const columns = (sql: Sql | TransactionSql) => sql`
  id, app_id, source, hostname, hostnames, chain_pem, key_pem, fingerprint, issuer, not_before, not_after,
  attempt_started_at, failures, last_failure_at, last_error, created_at, updated_at`;

/** The app's certificates, manual ones first, newest first within each source. */
export async function listCertificates(sql: Sql, appId: string): Promise<CertificateRow[]> {
  return sql<CertificateRow[]>`
    select ${columns(sql)} from certificates where app_id = ${appId}
    order by source desc, created_at desc, id`;
}

/**
 * Stores a manual certificate and deletes those it replaces, in one
 * transaction; undefined (and nothing changed) when the app already has one
 * with this fingerprint.
 */
export async function insertManualCertificate(
  sql: Sql,
  appId: string,
  facts: CertificateFacts,
  replaces: readonly string[] = [],
): Promise<CertificateRow | undefined> {
  return sql.begin(async (tx) => {
    const [row] = await tx<CertificateRow[]>`
      insert into certificates
        (app_id, source, hostnames, chain_pem, key_pem, fingerprint, issuer, not_before, not_after)
      values (${appId}, 'manual', ${facts.hostnames}, ${facts.chainPem}, ${facts.keyPem}, ${facts.fingerprint},
        ${facts.issuer}, ${facts.notBefore}, ${facts.notAfter})
      on conflict (app_id, fingerprint) do nothing
      returning ${columns(tx)}`;
    if (!row) return undefined;
    if (replaces.length > 0) {
      await tx`delete from certificates where app_id = ${appId} and source = 'manual' and id in ${tx(replaces)}`;
    }
    return row;
  }) as Promise<CertificateRow | undefined>;
}

/** False when the app has no manual certificate with this id. */
export async function deleteManualCertificate(sql: Sql, appId: string, id: string): Promise<boolean> {
  const rows = await sql`delete from certificates where app_id = ${appId} and source = 'manual' and id = ${id}`;
  return rows.count === 1;
}

/** Whether Plat gets the app's certificates itself (ACME). */
export async function autoCertificatesEnabled(sql: Sql, appId: string): Promise<boolean> {
  const [row] = await sql<{ acm: boolean }[]>`select acm from apps where id = ${appId}`;
  return row?.acm ?? false;
}

/** A certificate the router can serve (certs/served.ts picks among them). */
export interface ServableRow {
  source: CertificateSource;
  hostnames: string[];
  chainPem: string;
  keyPem: string;
  notBefore: Date;
  notAfter: Date;
}

type ServableColumns = Pick<
  CertificateRow,
  'source' | 'hostnames' | 'chain_pem' | 'key_pem' | 'not_before' | 'not_after'
>;

/** The app's certificates that have a chain, for the router (certs/served.ts picks among them). */
export async function servableCertificates(sql: Sql, appId: string): Promise<ServableRow[]> {
  return servable(
    await sql<ServableColumns[]>`
      select source, hostnames, chain_pem, key_pem, not_before, not_after from certificates
      where app_id = ${appId} and chain_pem is not null and key_pem is not null
        and not_before is not null and not_after is not null
      order by created_at, id`,
  );
}

/** The servable certificates of these apps, by app id, in one query (app listings). */
export async function servableCertificatesOf(sql: Sql, appIds: readonly string[]): Promise<Map<string, ServableRow[]>> {
  const byApp = new Map<string, ServableRow[]>();
  if (appIds.length === 0) return byApp;
  const rows = await sql<(ServableColumns & { app_id: string })[]>`
    select app_id, source, hostnames, chain_pem, key_pem, not_before, not_after from certificates
    where app_id in ${sql(appIds)} and chain_pem is not null and key_pem is not null
      and not_before is not null and not_after is not null
    order by created_at, id`;
  for (const row of rows) byApp.set(row.app_id, [...(byApp.get(row.app_id) ?? []), ...servable([row])]);
  return byApp;
}

function servable(rows: ServableColumns[]): ServableRow[] {
  return rows.map((row) => ({
    source: row.source,
    hostnames: row.hostnames,
    chainPem: row.chain_pem!,
    keyPem: row.key_pem!,
    notBefore: row.not_before!,
    notAfter: row.not_after!,
  }));
}

/**
 * Turns automatic certificates on or off; off also deletes the app's
 * automatic certificates, in the same transaction.
 */
export async function setAutoCertificates(sql: Sql, appId: string, on: boolean): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`update apps set acm = ${on}, updated_at = now() where id = ${appId}`;
    if (!on) await tx`delete from certificates where app_id = ${appId} and source = 'acme'`;
  });
}

/** Apps with automatic certificates on. */
export async function appsWithAutoCertificates(sql: Sql): Promise<{ id: string; name: string }[]> {
  return sql<{ id: string; name: string }[]>`
    select id, name from apps where acm and not destroying order by name`;
}

/** One automatic certificate row per hostname: new hostnames get one, hostnames gone lose theirs. */
export async function syncAcmeHostnames(sql: Sql, appId: string, hostnames: readonly string[]): Promise<void> {
  await sql.begin(async (tx) => {
    if (hostnames.length === 0) {
      await tx`delete from certificates where app_id = ${appId} and source = 'acme'`;
      return;
    }
    await tx`
      delete from certificates where app_id = ${appId} and source = 'acme' and not (hostname in ${tx(hostnames)})`;
    for (const hostname of hostnames) {
      await tx`
        insert into certificates (app_id, source, hostname) values (${appId}, 'acme', ${hostname})
        on conflict (app_id, hostname) where source = 'acme' do nothing`;
    }
  });
}

/**
 * The automatic certificates of every app that has them on, with the app's
 * name, and the platform's own (app_name null).
 */
export async function listAcmeCertificates(sql: Sql): Promise<(CertificateRow & { app_name: string | null })[]> {
  return sql<(CertificateRow & { app_name: string | null })[]>`
    select ${columns(sql)}, (select name from apps where apps.id = certificates.app_id) as app_name
    from certificates
    where source = 'acme' and (app_id is null or app_id in (select id from apps where acm and not destroying))
    order by created_at, id`;
}

/** One automatic certificate row of no app per hostname platd orders for itself (PLAT_API_DOMAIN). */
export async function syncPlatformAcmeHostnames(sql: Sql, hostnames: readonly string[]): Promise<void> {
  await sql.begin(async (tx) => {
    if (hostnames.length === 0) {
      await tx`delete from certificates where app_id is null`;
      return;
    }
    await tx`delete from certificates where app_id is null and not (hostname in ${tx(hostnames)})`;
    for (const hostname of hostnames) {
      await tx`
        insert into certificates (app_id, source, hostname) values (null, 'acme', ${hostname})
        on conflict (hostname) where app_id is null do nothing`;
    }
  });
}

/** The platform's own certificates that have a chain, for the router's API server. */
export async function platformCertificates(sql: Sql): Promise<ServableRow[]> {
  return servable(
    await sql<ServableColumns[]>`
      select source, hostnames, chain_pem, key_pem, not_before, not_after from certificates
      where app_id is null and chain_pem is not null and key_pem is not null
        and not_before is not null and not_after is not null
      order by created_at, id`,
  );
}

export async function startAcmeAttempt(sql: Sql, id: string, at: Date): Promise<void> {
  await sql`update certificates set attempt_started_at = ${at}, updated_at = now() where id = ${id}`;
}

/** An order succeeded: the row serves the new certificate, and its failures are forgotten. */
export async function recordAcmeIssued(sql: Sql, id: string, facts: CertificateFacts): Promise<void> {
  await sql`
    update certificates set hostnames = ${facts.hostnames}, chain_pem = ${facts.chainPem}, key_pem = ${facts.keyPem},
      fingerprint = ${facts.fingerprint}, issuer = ${facts.issuer}, not_before = ${facts.notBefore},
      not_after = ${facts.notAfter}, attempt_started_at = null, failures = 0, last_failure_at = null,
      last_error = null, updated_at = now()
    where id = ${id}`;
}

/** An order failed: counted for the backoff, with the CA's message for plat certs. */
export async function recordAcmeFailure(sql: Sql, id: string, reason: string, at: Date): Promise<void> {
  await sql`
    update certificates set attempt_started_at = null, failures = failures + 1, last_failure_at = ${at},
      last_error = ${reason}, updated_at = now()
    where id = ${id}`;
}
