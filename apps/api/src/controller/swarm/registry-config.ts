/**
 * The pure half of Plat's image registry: where it listens, the config file
 * Debian's docker-registry reads, and the names of images in it. No I/O, so
 * every rule here is unit-tested without the registry.
 */
import { isIP } from 'node:net';
import { dirname } from 'node:path';

/** Where the registry listens and how nodes reach it. */
export interface RegistryAddress {
  /** The name or IP the nodes use; also the certificate's subject alternative name. */
  host: string;
  port: number;
  /** Loopback (one node): plain HTTP, which Docker allows for 127.0.0.0/8 only. Otherwise mutual TLS. */
  tls: boolean;
  /** What the registry binds to: `host` unless given (e.g. 0.0.0.0 behind a DNS name). */
  listenHost: string;
}

export const DEFAULT_REGISTRY_PORT = 5000;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * PLAT_REGISTRY_ADDR: unset → 127.0.0.1:5000, loopback-only (a swarm of one
 * node); `host[:port]` (IPv6 in brackets) → reachable by other nodes over
 * mutual TLS. PLAT_REGISTRY_LISTEN optionally binds another address.
 */
export function parseRegistryAddress(value: string | undefined, listen?: string): RegistryAddress {
  const text = (value ?? '').trim() || `127.0.0.1:${DEFAULT_REGISTRY_PORT}`;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text);
  const host = (match?.[1] ?? match?.[2] ?? '').toLowerCase();
  const port = match?.[3] === undefined ? DEFAULT_REGISTRY_PORT : Number(match[3]);
  if (!match || !(isIP(host) || DNS_NAME.test(host)))
    throw new Error(
      `PLAT_REGISTRY_ADDR must be host[:port] (a name or IP, IPv6 in brackets), got ${JSON.stringify(text)}`,
    );
  if (port < 1 || port > 65535) throw new Error(`PLAT_REGISTRY_ADDR: port ${port} is out of range`);
  if (match[1] && isIP(host) !== 6) throw new Error(`PLAT_REGISTRY_ADDR: [${host}] is not an IPv6 address`);
  const listenHost = (listen ?? '').trim() || host;
  if (!isIP(listenHost) && !DNS_NAME.test(listenHost))
    throw new Error(`PLAT_REGISTRY_LISTEN must be an IP address or name, got ${JSON.stringify(listen)}`);
  return { host, port, tls: !isLoopback(host), listenHost };
}

/** `host:port` as Docker names the registry in image references and in /etc/docker/certs.d. */
export function registryHost(address: Pick<RegistryAddress, 'host' | 'port'>): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

export interface RegistryConfigInput {
  /** Where layers and manifests live (`<dataDir>/registry/storage`). */
  storageDir: string;
  listenHost: string;
  port: number;
  /** Signs the registry's upload state; random per data dir, kept so restarts resume uploads. */
  httpSecret: string;
  /** Server certificate and key, and the CA client certificates must chain to (mutual TLS). */
  tls?: { certificate: string; key: string; clientCa: string };
  /** Refuses writes: what garbage collection would want if it ran beside a live registry. */
  readOnly?: boolean;
}

/** YAML's double-quoted scalars take JSON's escapes, so JSON.stringify quotes any path safely. */
const quote = (value: string) => JSON.stringify(value);

/** The registry's config.yml (distribution 2.8's format, version 0.1). */
export function renderRegistryConfig(input: RegistryConfigInput): string {
  const listen = isIP(input.listenHost) === 6 ? `[${input.listenHost}]` : input.listenHost;
  const lines = [
    '# Written by platd at each start: edits are lost.',
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${quote(input.storageDir)}`,
    // Pruning deletes manifests over the HTTP API; garbage-collect then frees their layers.
    '  delete:',
    '    enabled: true',
    // No blob descriptor cache: after garbage collection it would claim deleted layers still exist.
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: true',
    '      age: 168h',
    '      interval: 24h',
    '      dryrun: false',
    '    readonly:',
    `      enabled: ${input.readOnly === true}`,
    'http:',
    `  addr: ${quote(`${listen}:${input.port}`)}`,
    `  secret: ${quote(input.httpSecret)}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
  ];
  if (input.tls) {
    lines.push(
      '  tls:',
      `    certificate: ${quote(input.tls.certificate)}`,
      `    key: ${quote(input.tls.key)}`,
      // Every client (platd's Docker, each node's) shows a certificate Plat's CA issued.
      '    clientcas:',
      `      - ${quote(input.tls.clientCa)}`,
      '    minimumtls: tls1.2',
    );
  }
  lines.push('health:', '  storagedriver:', '    enabled: true', '    interval: 10s', '    threshold: 3', '');
  return lines.join('\n');
}

export interface ImageRef {
  /** `host:port`. */
  registry: string;
  /** `plat/<instance>-<app>`. */
  repository: string;
  tag: string;
}

const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** A local `plat/<instance>-<app>:<build>` tag split, refusing what is not a Plat image tag. */
export function splitLocalTag(localTag: string): { repository: string; tag: string } {
  const colon = localTag.lastIndexOf(':');
  const repository = localTag.slice(0, colon);
  const tag = localTag.slice(colon + 1);
  if (colon < 0 || !repository.startsWith('plat/') || !REPOSITORY.test(repository) || !TAG.test(tag))
    throw new Error(`not a Plat image tag (plat/<name>:<tag>): ${JSON.stringify(localTag)}`);
  return { repository, tag };
}

/** The registry's reference for a local Plat tag: `<host:port>/plat/<instance>-<app>:<build>`. */
export function registryRef(registry: string, localTag: string): string {
  const { repository, tag } = splitLocalTag(localTag);
  return `${registry}/${repository}:${tag}`;
}

/** A registry reference split; refuses one of another registry or without a tag. */
export function parseRegistryRef(ref: string, registry: string): ImageRef {
  const prefix = `${registry}/`;
  if (!ref.startsWith(prefix)) throw new Error(`${JSON.stringify(ref)} is not an image of the registry ${registry}`);
  return { registry, ...splitLocalTag(ref.slice(prefix.length)) };
}

/** One file a node needs, at `/etc/docker/certs.d/<host:port>/<name>`. */
export interface TrustFile {
  path: string;
  pem: string;
  mode: number;
}

/**
 * The files as a shell script for a node (empty on loopback, where no other
 * node reaches the registry). PEM holds no quote or `$`, and the quoted
 * here-document markers keep the shell from reading it anyway.
 */
export function renderTrustScript(files: readonly TrustFile[]): string {
  if (files.length === 0) return '';
  const lines = [`mkdir -p '${dirname(files[0]!.path)}'`];
  for (const file of files)
    lines.push(
      `(umask 077 && cat >'${file.path}' <<'PLAT_PEM'`,
      file.pem.trimEnd(),
      'PLAT_PEM',
      ')',
      `chmod ${file.mode.toString(8)} '${file.path}'`,
    );
  return `${lines.join('\n')}\n`;
}
