import {
  addonImageRepo,
  addonTlsFiles,
  selfSignedCertScript,
  stackServiceImage,
  type AddonPlan,
  type AddonProvider,
} from '@plat/core';

const DATA = '/var/lib/plat-postgres';
/** Beside the cluster, not in it: initdb wants an empty folder, and the certificate is no data to back up. */
const TLS = addonTlsFiles(DATA);

/**
 * TLS for clients that ask (sslmode=require and up; libpq's default, prefer,
 * takes it too), TLS 1.2 or later. Plain connections stay allowed, as
 * DATABASE_URL does not name an sslmode.
 */
export const POSTGRES_TLS_SETTINGS = [
  'ssl=on',
  `ssl_cert_file=${TLS.cert}`,
  `ssl_key_file=${TLS.key}`,
  'ssl_min_protocol_version=TLSv1.2',
  'ssl_ciphers=HIGH:!aNULL:!MD5',
];

const INITDB =
  '"$BIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/tmp/pwfile ' +
  '--auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null';

/**
 * Initialises the cluster on first start (password auth over the network),
 * makes the TLS certificate when it is missing, then runs postgres.
 */
const ENTRYPOINT = `#!/bin/sh
set -eu
BIN=/usr/lib/postgresql/15/bin
PGDATA=${DATA}/data
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s' "$POSTGRES_PASSWORD" > /tmp/pwfile
  ${INITDB}
  rm -f /tmp/pwfile
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  # The set-up server listens on its own socket, so the health check (on
  # /tmp) cannot mistake it for the real one.
  mkdir -p /tmp/plat-init
  "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses='' -c unix_socket_directories=/tmp/plat-init" -w start >/dev/null
  "$BIN/createdb" -h /tmp/plat-init -U "$POSTGRES_USER" "$POSTGRES_DB"
  "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
fi
${selfSignedCertScript(TLS)}exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp \\
  ${POSTGRES_TLS_SETTINGS.map((setting) => `-c '${setting}'`).join(' ')}
`;

const PLANS: AddonPlan[] = [
  { name: 'hobby', description: 'one PostgreSQL 15 server, data on a volume', persistent: true, memoryMb: 512 },
  {
    name: 'standard',
    description: 'one PostgreSQL 15 server with 2 GB, data on a volume',
    persistent: true,
    memoryMb: 2048,
  },
];

export const postgres: AddonProvider = {
  name: 'postgres',
  description: 'PostgreSQL 15, a dedicated server for the app',
  defaultAttachment: 'DATABASE',
  plans: PLANS,
  defaultPlan: 'hobby',
  credentials: (random) => ({
    user: `u${random().slice(0, 12).toLowerCase()}`,
    password: random(),
    database: `d${random().slice(0, 12).toLowerCase()}`,
  }),
  service: (plan, credentials) => ({
    image: stackServiceImage({
      name: addonImageRepo('postgres'),
      packages: ['postgresql-15', 'postgresql-client-15', 'openssl'],
      user: 'postgres',
      dataPath: DATA,
      entrypoint: ENTRYPOINT,
    }),
    env: {
      POSTGRES_USER: credentials.user!,
      POSTGRES_PASSWORD: credentials.password!,
      POSTGRES_DB: credentials.database!,
    },
    ...(plan.persistent ? { dataPath: DATA } : {}),
    port: 5432,
    healthcheck: ['/usr/lib/postgresql/15/bin/pg_isready', '-h', '/tmp', '-q'],
  }),
  url: (host, credentials) =>
    `postgres://${credentials.user}:${credentials.password}@${host}:5432/${credentials.database}`,
};
