import {
  addonImageRepo,
  addonTlsFiles,
  selfSignedCertScript,
  stackServiceImage,
  type AddonPlan,
  type AddonProvider,
} from '@plat/core';

const DATA = '/var/lib/plat-redis';
/** On the volume where the plan has one; in the container (made again when it is replaced) where not. */
const TLS = addonTlsFiles(DATA);
/** Heroku's convention: TLS on the plain port plus one. */
export const REDIS_TLS_PORT = 6380;

/**
 * Debian's redis is built with TLS: a second port serves it, TLS 1.2 or
 * later, with no client certificate asked (a password, as on the plain port).
 */
export const REDIS_TLS_ARGS = [
  '--tls-port',
  String(REDIS_TLS_PORT),
  '--tls-cert-file',
  TLS.cert,
  '--tls-key-file',
  TLS.key,
  '--tls-ca-cert-file',
  TLS.cert,
  '--tls-auth-clients',
  'no',
  '--tls-protocols',
  'TLSv1.2 TLSv1.3',
];

/**
 * Persistence only where the plan says so: mini keeps nothing on disk.
 * DEBUG from local connections only: a backup restore loads its snapshot
 * with DEBUG RELOAD from inside the container, so the server keeps serving;
 * apps reach redis over the network and cannot use it.
 */
const ENTRYPOINT = `#!/bin/sh
set -eu
${selfSignedCertScript(TLS)}set -- ${REDIS_TLS_ARGS.map((arg) => `'${arg}'`).join(' ')}
# Snapshots are written and restored in the data folder; DEBUG RELOAD (restores) only from inside the container.
set -- "$@" --dir ${DATA} --enable-debug-command local
if [ "$REDIS_PERSIST" = "yes" ]; then
  exec redis-server --requirepass "$REDIS_PASSWORD" --appendonly yes --protected-mode no "$@"
fi
exec redis-server --requirepass "$REDIS_PASSWORD" --save '' --appendonly no --protected-mode no "$@"
`;

const PLANS: AddonPlan[] = [
  { name: 'mini', description: 'Redis in memory only, nothing kept on restart', persistent: false, memoryMb: 256 },
  { name: 'premium', description: 'Redis with an append-only file on a volume', persistent: true, memoryMb: 1024 },
];

export const redis: AddonProvider = {
  name: 'redis',
  description: 'Redis 7, a dedicated server for the app',
  defaultAttachment: 'REDIS',
  plans: PLANS,
  defaultPlan: 'mini',
  credentials: (random) => ({ password: random() }),
  service: (plan, credentials) => ({
    image: stackServiceImage({
      name: addonImageRepo('redis'),
      packages: ['redis-server', 'openssl'],
      user: 'redis',
      dataPath: DATA,
      entrypoint: ENTRYPOINT,
    }),
    env: { REDIS_PASSWORD: credentials.password!, REDIS_PERSIST: plan.persistent ? 'yes' : 'no' },
    ...(plan.persistent ? { dataPath: DATA } : {}),
    port: 6379,
    healthcheck: ['redis-cli', '--no-auth-warning', '-a', credentials.password!, 'ping'],
  }),
  url: (host, credentials) => `redis://:${credentials.password}@${host}:6379`,
  tlsUrl: (host, credentials) => `rediss://:${credentials.password}@${host}:${REDIS_TLS_PORT}`,
};
