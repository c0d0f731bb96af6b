/**
 * The registry's certificates: a CA Plat makes once per data dir, a server
 * certificate for the registry's address and one client certificate that
 * platd's Docker and every node show (mutual TLS: the registry admits no
 * one else). OpenSSL makes them (spawned with argument arrays); node:crypto
 * checks them, so a changed address or a certificate near its end is
 * re-issued from the same CA and nodes that trust it need nothing new.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { runHost } from '@plat/core/host-process';

const CA_DAYS = 3650;
const LEAF_DAYS = 825;
/** A leaf this close to its end is re-issued at the next start. */
const RENEW_WITHIN_MS = 30 * 24 * 3600 * 1000;
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface RegistryTlsFiles {
  dir: string;
  caCertificate: string;
  caKey: string;
  serverCertificate: string;
  serverKey: string;
  clientCertificate: string;
  clientKey: string;
}

export function registryTlsFiles(dir: string): RegistryTlsFiles {
  return {
    dir,
    caCertificate: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCertificate: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCertificate: join(dir, 'client.cert'),
    clientKey: join(dir, 'client.key'),
  };
}

async function openssl(args: string[]): Promise<void> {
  const ran = await runHost('openssl', args, { env: { PATH: '/usr/bin:/bin' }, timeoutMs: 30_000 });
  if (ran.code !== 0) throw new Error(`openssl ${args[0]} failed: ${ran.output.trim()}`);
}

function load(path: string): X509Certificate | undefined {
  try {
    return new X509Certificate(readFileSync(path));
  } catch {
    return undefined;
  }
}

/** Still good: issued by this CA, not near its end and, for a server, naming this host. */
function usable(leaf: X509Certificate | undefined, ca: X509Certificate, host?: string): boolean {
  if (!leaf?.checkIssued(ca) || !leaf.verify(ca.publicKey)) return false;
  if (Date.parse(leaf.validTo) - Date.now() < RENEW_WITHIN_MS) return false;
  if (host === undefined) return true;
  return isIP(host) ? leaf.checkIP(host) !== undefined : leaf.checkHost(host) !== undefined;
}

/** Makes a key and a certificate side by side, then moves both in: a crash leaves the old pair or none. */
async function issue(
  files: RegistryTlsFiles,
  certificate: string,
  key: string,
  subject: string,
  extensions: string[],
): Promise<void> {
  await openssl([
    'req',
    '-x509',
    '-new',
    ...EC_KEY,
    '-keyout',
    `${key}.new`,
    '-out',
    `${certificate}.new`,
    '-days',
    String(LEAF_DAYS),
    '-subj',
    subject,
    '-CA',
    files.caCertificate,
    '-CAkey',
    files.caKey,
    ...extensions.flatMap((extension) => ['-addext', extension]),
  ]);
  chmodSync(`${key}.new`, 0o600);
  renameSync(`${key}.new`, key);
  renameSync(`${certificate}.new`, certificate);
}

/**
 * Makes what is missing or stale and returns the files. `label` names the
 * CA (the Plat instance), so an operator tells two Plats' CAs apart. With
 * `readerGid`, that group (the registry's account) may read the folder, the
 * server's key and the certificates, never the CA's key or the client's.
 */
export async function ensureRegistryTls(
  dir: string,
  host: string,
  label: string,
  readerGid?: number,
): Promise<RegistryTlsFiles> {
  const files = registryTlsFiles(dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  let ca = load(files.caCertificate);
  if (!ca || !existsSync(files.caKey) || Date.parse(ca.validTo) - Date.now() < RENEW_WITHIN_MS) {
    // A new CA: every leaf it did not sign goes too, and nodes must trust the new ca.crt.
    for (const path of Object.values(files).slice(1)) rmSync(path, { force: true });
    await openssl([
      'req',
      '-x509',
      '-new',
      ...EC_KEY,
      '-keyout',
      files.caKey,
      '-out',
      files.caCertificate,
      '-days',
      String(CA_DAYS),
      '-subj',
      `/O=Plat/CN=Plat registry CA ${label}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    chmodSync(files.caKey, 0o600);
    ca = load(files.caCertificate);
    if (!ca) throw new Error(`openssl made no readable CA certificate at ${files.caCertificate}`);
  }
  if (!usable(load(files.serverCertificate), ca, host) || !existsSync(files.serverKey)) {
    const san = isIP(host) ? `IP:${host}` : `DNS:${host}`;
    await issue(files, files.serverCertificate, files.serverKey, `/O=Plat/CN=${host}`, [
      `subjectAltName=${san}`,
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
    ]);
  }
  if (!usable(load(files.clientCertificate), ca) || !existsSync(files.clientKey)) {
    await issue(files, files.clientCertificate, files.clientKey, `/O=Plat/CN=plat-node ${label}`, [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=clientAuth',
    ]);
  }
  if (readerGid !== undefined) {
    chownSync(dir, 0, readerGid);
    chmodSync(dir, 0o750);
    chownSync(files.serverKey, 0, readerGid);
    chmodSync(files.serverKey, 0o640);
  }
  return files;
}
