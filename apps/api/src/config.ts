import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { DrainSettings } from './drains/drain-hub.js';
import { type Cidr, isPrivate, type NetworkPool, parseCidr } from './controller/network-pool.js';
import { checkBlockRoom } from './services/network-capacity.js';
import { parseRegistryAddress, type RegistryAddress } from './controller/swarm/registry-config.js';

/** platd's settings, all from environment variables (documented in the README). */
export interface Settings {
  dataDir: string;
  apiHost: string;
  apiPort: number;
  routerHost: string;
  routerPort: number;
  /** The router's HTTPS port. */
  routerTlsPort: number;
  /** Where automatic certificates come from (`plat certs:auto:enable`). */
  acme: AcmeSettings;
  /** Log drains: which addresses they may reach, which CAs they trust (PLAT_DRAINS_*). */
  drains: DrainSettings;
  /** PLAT_API_DOMAIN: the router also serves the API and git over HTTP(S) on this hostname. */
  apiDomain?: ApiDomainSettings;
  domain: string;
  databaseUrl?: string;
  /** Labels and names every container, network and image of this platd. */
  instance: string;
  bootTimeoutMs: number;
  maxSourceBytes: number;
  buildMemoryBytes: number;
  buildTimeoutMs: number;
  /** How long a new add-on has to pass its health check. */
  addonBootTimeoutMs: number;
  /** Seconds the router waits for a dyno to start answering before H12. */
  routerTimeoutSeconds: number;
  /** Unused build layers of this platd beyond this many bytes are pruned, oldest first, after each build. */
  buildCacheBytes: number;
  /** Images of this many newest releases are kept per app; older ones are pruned. */
  keepReleases: number;
  /** Backups of this many newest pg:backups are kept per add-on; older ones are deleted. */
  keepBackups: number;
  /**
   * Each backup's restore drill in a scratch container (PLAT_BACKUP_CHECK_*):
   * its data dir is a tmpfs of diskBytes, its memory limit diskBytes +
   * memoryBytes (tmpfs pages count against it), and it stops after timeoutMs.
   */
  backupCheck: { timeoutMs: number; diskBytes: number; memoryBytes: number };
  /** API requests a minute per user; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Build output past this many bytes stops and fails the build. */
  maxBuildOutputBytes: number;
  /**
   * Quotas (see services/quotas.ts): apps a user owns, dynos of one process
   * type, concurrent `plat run`s of an app, scheduler jobs of an app.
   */
  maxAppsPerUser: number;
  maxDynosPerType: number;
  maxOneOffs: number;
  maxSchedulerJobs: number;
  /** Scheduler jobs may not fire more often than this. */
  schedulerMinIntervalSeconds: number;
  /** Detached one-off dynos (plat run:detached) are stopped after this long. */
  maxRunSeconds: number;
  /** Port of platd's sshd for git over SSH; 0: no git over SSH. */
  sshPort: number;
  /** Address that sshd listens on. */
  sshHost: string;
  /** App webhooks (plat webhooks:add). */
  webhooks: {
    /** Send to loopback and private addresses too (PLAT_WEBHOOKS_ALLOW_PRIVATE=1); public ones only by default. */
    allowPrivate: boolean;
    /** The first retry's delay (PLAT_WEBHOOK_RETRY_BASE_MS); each next one doubles, up to an hour, for 24 hours. */
    retryBaseMs: number;
    /** One attempt, connection to last byte (PLAT_WEBHOOK_TIMEOUT_SECONDS). */
    timeoutMs: number;
  };
  /** How often certificates, crash loops and the data dir's disk are checked for alerts (PLAT_ALERT_CHECK_SECONDS). */
  alertCheckMs: number;
  /** App networks' subnets: blocks of PLAT_NETWORK_BLOCK from the private range PLAT_NETWORK_POOL. */
  networkPool: NetworkPool;
  /** Eco apps' web dynos stop after this long with no request (PLAT_ECO_SLEEP_S); the next request wakes them. */
  ecoSleepMs: number;
  /** PLAT_RUNTIME: dynos as containers on one Docker Engine (docker), or as Swarm services across nodes (swarm). */
  runtime: RuntimeKind;
  /**
   * PLAT_REGISTRY_ADDR (and PLAT_REGISTRY_LISTEN), swarm only: the registry
   * Plat runs so that every node pulls the app images; unset, services run
   * this node's images (a swarm of one node).
   */
  registry?: RegistryAddress;
}

export const RUNTIMES = ['docker', 'swarm'] as const;
export type RuntimeKind = (typeof RUNTIMES)[number];

export interface AcmeSettings {
  /** The ACME CA's directory URL. */
  directoryUrl: string;
  /** The account's contact, for the CA's expiry and policy mail. */
  email?: string;
  /** PEM file of a CA to trust for the directory (a private ACME CA). */
  caFile?: string;
}

export interface ApiDomainSettings {
  hostname: string;
  /**
   * Where its certificate comes from: files the operator keeps
   * (PLAT_API_CERT_FILE, PLAT_API_KEY_FILE), ACME when an ACME CA is
   * configured (PLAT_ACME_EMAIL or PLAT_ACME_DIRECTORY), else none: HTTP only.
   */
  certificate: { source: 'files'; chainFile: string; keyFile: string } | { source: 'acme' } | { source: 'none' };
}

/** App networks' subnets by default: a private /16 that home and office networks seldom use. */
export const DEFAULT_NETWORK_POOL = '10.213.0.0/16';

export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

function acmeSettings(env: NodeJS.ProcessEnv): AcmeSettings {
  const directoryUrl = env.PLAT_ACME_DIRECTORY || LETS_ENCRYPT_DIRECTORY;
  if (!/^https?:\/\/[^\s]+$/.test(directoryUrl))
    throw new Error(`PLAT_ACME_DIRECTORY must be an http(s) URL, got ${JSON.stringify(directoryUrl)}`);
  const email = env.PLAT_ACME_EMAIL;
  if (email && !/^[^\s@]+@[^\s@]+$/.test(email))
    throw new Error(`PLAT_ACME_EMAIL must be an email address, got ${JSON.stringify(email)}`);
  return {
    directoryUrl,
    ...(email ? { email } : {}),
    ...(env.PLAT_ACME_CA_FILE ? { caFile: resolve(env.PLAT_ACME_CA_FILE) } : {}),
  };
}

const HOSTNAME_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function apiDomainSettings(env: NodeJS.ProcessEnv): ApiDomainSettings | undefined {
  const raw = env.PLAT_API_DOMAIN;
  const chainFile = env.PLAT_API_CERT_FILE;
  const keyFile = env.PLAT_API_KEY_FILE;
  if (!raw) {
    if (chainFile || keyFile) throw new Error('PLAT_API_CERT_FILE and PLAT_API_KEY_FILE need PLAT_API_DOMAIN');
    return undefined;
  }
  const hostname = raw.toLowerCase().replace(/\.$/, '');
  const labels = hostname.split('.');
  if (hostname.length > 253 || labels.length < 2 || !labels.every((label) => HOSTNAME_LABEL.test(label)))
    throw new Error(`PLAT_API_DOMAIN must be a hostname such as plat.example.com, got ${JSON.stringify(raw)}`);
  if (Boolean(chainFile) !== Boolean(keyFile))
    throw new Error('PLAT_API_CERT_FILE and PLAT_API_KEY_FILE go together: set both, or neither');
  if (chainFile && keyFile)
    return { hostname, certificate: { source: 'files', chainFile: resolve(chainFile), keyFile: resolve(keyFile) } };
  const acme = Boolean(env.PLAT_ACME_EMAIL || env.PLAT_ACME_DIRECTORY);
  return { hostname, certificate: { source: acme ? 'acme' : 'none' } };
}

/** PLAT_NETWORK_POOL and PLAT_NETWORK_BLOCK: a private /16 to /24, cut into blocks of /20 to /28. */
function networkPoolSettings(env: NodeJS.ProcessEnv): NetworkPool {
  const text = env.PLAT_NETWORK_POOL || DEFAULT_NETWORK_POOL;
  let pool: Cidr;
  try {
    pool = parseCidr(text);
  } catch (error) {
    throw new Error(
      `PLAT_NETWORK_POOL must be a private IPv4 range such as 10.213.0.0/16: ${(error as Error).message}`,
    );
  }
  if (!isPrivate(pool))
    throw new Error(`PLAT_NETWORK_POOL must be inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, got ${text}`);
  if (pool.prefix < 16 || pool.prefix > 24)
    throw new Error(`PLAT_NETWORK_POOL must be a /16 to a /24, got /${pool.prefix}`);
  const block = (env.PLAT_NETWORK_BLOCK || '26').replace(/^\//, '');
  const blockPrefix = Number(block);
  if (!/^\d+$/.test(block) || blockPrefix < 20 || blockPrefix > 28)
    throw new Error(`PLAT_NETWORK_BLOCK must be a prefix length from /20 to /28, got ${JSON.stringify(block)}`);
  if (blockPrefix < pool.prefix)
    throw new Error(`PLAT_NETWORK_BLOCK /${blockPrefix} is larger than PLAT_NETWORK_POOL ${text}`);
  return { pool, blockPrefix };
}

/** PLAT_RUNTIME, checked at start: a typo must not quietly run another runtime. */
function runtimeSetting(env: NodeJS.ProcessEnv): RuntimeKind {
  const value = env.PLAT_RUNTIME || 'docker';
  if (!(RUNTIMES as readonly string[]).includes(value))
    throw new Error(`PLAT_RUNTIME must be ${RUNTIMES.join(' or ')}, got ${JSON.stringify(value)}`);
  return value as RuntimeKind;
}

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535)
    throw new Error(`${name} must be a TCP port (1-65535), got ${JSON.stringify(value)}`);
  return parsed;
}

function nonNegative(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new Error(`${name} must be a whole number, got ${JSON.stringify(value)}`);
  return parsed;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  const parsed = nonNegative(name, value, fallback);
  if (parsed === 0) throw new Error(`${name} must be at least 1`);
  return parsed;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): Settings {
  const dataDir = resolve(env.PLAT_DATA_DIR || '/var/lib/plat');
  const instance = env.PLAT_INSTANCE || createHash('sha256').update(dataDir).digest('hex').slice(0, 8);
  if (!/^[a-z0-9]{1,16}$/.test(instance))
    throw new Error(`PLAT_INSTANCE must be 1-16 lowercase letters or digits, got ${JSON.stringify(instance)}`);
  const domain = env.PLAT_DOMAIN || 'localhost';
  if (!/^[a-z0-9.-]+$/i.test(domain)) throw new Error(`PLAT_DOMAIN is not a hostname: ${JSON.stringify(domain)}`);
  const apiDomain = apiDomainSettings(env);
  const maxDynosPerType = positive('PLAT_MAX_DYNOS_PER_TYPE', env.PLAT_MAX_DYNOS_PER_TYPE, 20);
  const maxOneOffs = positive('PLAT_MAX_ONE_OFFS', env.PLAT_MAX_ONE_OFFS, 10);
  const networkPool = networkPoolSettings(env);
  // A block too small for the dyno limits shows only later, as dynos Docker has no address for.
  checkBlockRoom({ blockPrefix: networkPool.blockPrefix, maxDynosPerType, maxOneOffs });
  return {
    dataDir,
    apiHost: env.PLAT_API_HOST || '0.0.0.0',
    apiPort: port('PLAT_API_PORT', env.PLAT_API_PORT, 5000),
    routerHost: env.PLAT_ROUTER_HOST || '0.0.0.0',
    routerPort: port('PLAT_ROUTER_PORT', env.PLAT_ROUTER_PORT, 8080),
    routerTlsPort: port('PLAT_ROUTER_TLS_PORT', env.PLAT_ROUTER_TLS_PORT, 443),
    acme: acmeSettings(env),
    drains: {
      allowPrivate: env.PLAT_DRAINS_ALLOW_PRIVATE === '1',
      ...(env.PLAT_DRAINS_CA_FILE ? { caFile: resolve(env.PLAT_DRAINS_CA_FILE) } : {}),
    },
    ...(apiDomain ? { apiDomain } : {}),
    domain: domain.toLowerCase(),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    instance,
    bootTimeoutMs: 60_000,
    maxSourceBytes: positive('PLAT_MAX_PUSH_MB', env.PLAT_MAX_PUSH_MB, 200) * 1024 ** 2,
    buildMemoryBytes: positive('PLAT_BUILD_MEMORY_MB', env.PLAT_BUILD_MEMORY_MB, 2048) * 1024 ** 2,
    buildTimeoutMs: positive('PLAT_BUILD_TIMEOUT_SECONDS', env.PLAT_BUILD_TIMEOUT_SECONDS, 900) * 1000,
    addonBootTimeoutMs: positive('PLAT_ADDON_BOOT_TIMEOUT_SECONDS', env.PLAT_ADDON_BOOT_TIMEOUT_SECONDS, 120) * 1000,
    routerTimeoutSeconds: positive('PLAT_ROUTER_TIMEOUT_SECONDS', env.PLAT_ROUTER_TIMEOUT_SECONDS, 30),
    buildCacheBytes: nonNegative('PLAT_BUILD_CACHE_MB', env.PLAT_BUILD_CACHE_MB, 2048) * 1024 ** 2,
    keepReleases: positive('PLAT_KEEP_RELEASES', env.PLAT_KEEP_RELEASES, 5),
    keepBackups: positive('PLAT_KEEP_BACKUPS', env.PLAT_KEEP_BACKUPS, 7),
    backupCheck: {
      timeoutMs: positive('PLAT_BACKUP_CHECK_TIMEOUT_S', env.PLAT_BACKUP_CHECK_TIMEOUT_S, 900) * 1000,
      diskBytes: positive('PLAT_BACKUP_CHECK_DISK_MB', env.PLAT_BACKUP_CHECK_DISK_MB, 2048) * 1024 ** 2,
      memoryBytes: positive('PLAT_BACKUP_CHECK_MEMORY_MB', env.PLAT_BACKUP_CHECK_MEMORY_MB, 512) * 1024 ** 2,
    },
    rateLimitPerMinute: nonNegative('PLAT_API_RATE_LIMIT', env.PLAT_API_RATE_LIMIT, 6000),
    maxBuildOutputBytes: positive('PLAT_MAX_BUILD_OUTPUT_MB', env.PLAT_MAX_BUILD_OUTPUT_MB, 4) * 1024 ** 2,
    maxAppsPerUser: positive('PLAT_MAX_APPS_PER_USER', env.PLAT_MAX_APPS_PER_USER, 100),
    maxDynosPerType,
    maxOneOffs,
    maxSchedulerJobs: positive('PLAT_MAX_SCHEDULER_JOBS', env.PLAT_MAX_SCHEDULER_JOBS, 50),
    schedulerMinIntervalSeconds: positive(
      'PLAT_SCHEDULER_MIN_INTERVAL_SECONDS',
      env.PLAT_SCHEDULER_MIN_INTERVAL_SECONDS,
      60,
    ),
    maxRunSeconds: positive('PLAT_MAX_RUN_SECONDS', env.PLAT_MAX_RUN_SECONDS, 24 * 3600),
    sshPort: env.PLAT_SSH_PORT === '0' ? 0 : port('PLAT_SSH_PORT', env.PLAT_SSH_PORT, 22),
    sshHost: env.PLAT_SSH_HOST || '0.0.0.0',
    webhooks: {
      allowPrivate: ['1', 'true', 'yes'].includes(env.PLAT_WEBHOOKS_ALLOW_PRIVATE ?? ''),
      retryBaseMs: positive('PLAT_WEBHOOK_RETRY_BASE_MS', env.PLAT_WEBHOOK_RETRY_BASE_MS, 30_000),
      timeoutMs: positive('PLAT_WEBHOOK_TIMEOUT_SECONDS', env.PLAT_WEBHOOK_TIMEOUT_SECONDS, 10) * 1000,
    },
    alertCheckMs: positive('PLAT_ALERT_CHECK_SECONDS', env.PLAT_ALERT_CHECK_SECONDS, 60) * 1000,
    networkPool,
    ecoSleepMs: positive('PLAT_ECO_SLEEP_S', env.PLAT_ECO_SLEEP_S, 1800) * 1000,
    runtime: runtimeSetting(env),
    ...(env.PLAT_REGISTRY_ADDR
      ? { registry: parseRegistryAddress(env.PLAT_REGISTRY_ADDR, env.PLAT_REGISTRY_LISTEN) }
      : {}),
  };
}
