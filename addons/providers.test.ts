import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonConfigVarNames, addonConfigVars, addonTlsFiles, selfSignedCertScript } from '@plat/core';
import { postgres, POSTGRES_TLS_SETTINGS } from './postgres/src/index.js';
import { redis, REDIS_TLS_ARGS } from './redis/src/index.js';

const random = (() => {
  let n = 0;
  return () => {
    n += 1;
    return `Secret${n}abcdefghijklmnop`;
  };
})();

/** The entrypoint script an add-on image runs. */
function entrypoint(service: { image: { files?: Record<string, string> } }): string {
  const [script] = Object.values(service.image.files ?? {});
  if (!script) throw new Error('the image has no entrypoint file');
  return script;
}

describe('add-on providers', () => {
  it('postgres: a persistent server and a DATABASE_URL', () => {
    const credentials = postgres.credentials(random);
    const service = postgres.service!(postgres.plans[0]!, credentials);
    expect(service.dataPath).toBe('/var/lib/plat-postgres');
    expect(service.image.dockerfile).toMatch(/^FROM plat\/stack:latest/);
    expect(service.env.POSTGRES_PASSWORD).toBe(credentials.password);
    expect(postgres.url!('postgres-calm-1234', credentials)).toBe(
      `postgres://${credentials.user}:${credentials.password}@postgres-calm-1234:5432/${credentials.database}`,
    );
  });

  it('postgres: serves TLS 1.2+ with the certificate its entrypoint makes on the data volume', () => {
    const service = postgres.service!(postgres.plans[0]!, postgres.credentials(random));
    const script = entrypoint(service);
    expect(service.image.dockerfile).toMatch(/apt-get install .*\bopenssl\b/);
    expect(POSTGRES_TLS_SETTINGS).toEqual([
      'ssl=on',
      'ssl_cert_file=/var/lib/plat-postgres/tls/server.crt',
      'ssl_key_file=/var/lib/plat-postgres/tls/server.key',
      'ssl_min_protocol_version=TLSv1.2',
      'ssl_ciphers=HIGH:!aNULL:!MD5',
    ]);
    const exec = script.slice(script.indexOf('exec "$BIN/postgres"'));
    for (const setting of POSTGRES_TLS_SETTINGS) expect(exec).toContain(`-c '${setting}'`);
    // Made on every start that lacks one (an add-on from before TLS too), after initdb and before postgres.
    expect(script.indexOf(selfSignedCertScript(addonTlsFiles('/var/lib/plat-postgres')))).toBeGreaterThan(
      script.indexOf('fi\n'),
    );
    expect(script.indexOf('openssl genpkey')).toBeLessThan(script.indexOf('exec "$BIN/postgres"'));
  });

  it('postgres: one DATABASE_URL, in the form it always had', () => {
    const credentials = postgres.credentials(random);
    expect(addonConfigVars(postgres, 'DATABASE', 'postgres-calm-1234', credentials)).toEqual({
      DATABASE_URL: postgres.url!('postgres-calm-1234', credentials),
    });
    expect(addonConfigVarNames(postgres, 'DATABASE')).toEqual(['DATABASE_URL']);
  });

  it('redis: persistence only on plans that keep data', () => {
    const credentials = redis.credentials(random);
    const mini = redis.service!(redis.plans.find((p) => p.name === 'mini')!, credentials);
    const premium = redis.service!(redis.plans.find((p) => p.name === 'premium')!, credentials);
    expect(mini.dataPath).toBeUndefined();
    expect(mini.env.REDIS_PERSIST).toBe('no');
    expect(premium.dataPath).toBe('/var/lib/plat-redis');
    expect(redis.url!('redis-x-1', credentials)).toBe(`redis://:${credentials.password}@redis-x-1:6379`);
  });

  it('redis: every plan serves TLS on 6380 as REDIS_TLS_URL beside REDIS_URL', () => {
    const credentials = redis.credentials(random);
    expect(addonConfigVars(redis, 'CACHE', 'redis-x-1', credentials)).toEqual({
      CACHE_URL: `redis://:${credentials.password}@redis-x-1:6379`,
      CACHE_TLS_URL: `rediss://:${credentials.password}@redis-x-1:6380`,
    });
    expect(addonConfigVarNames(redis, 'REDIS')).toEqual(['REDIS_URL', 'REDIS_TLS_URL']);
    for (const plan of redis.plans) {
      const script = entrypoint(redis.service!(plan, credentials));
      const quoted = REDIS_TLS_ARGS.map((arg) => `'${arg}'`).join(' ');
      expect(script).toContain(`set -- ${quoted}\n`);
      // Both exec lines (with and without persistence) pass the TLS arguments.
      expect(script.match(/^ *exec redis-server .* "\$@"$/gm)).toHaveLength(2);
      expect(script.indexOf(selfSignedCertScript(addonTlsFiles('/var/lib/plat-redis')))).toBeGreaterThan(0);
    }
    expect(REDIS_TLS_ARGS.join(' ')).toContain('--tls-auth-clients no --tls-protocols TLSv1.2 TLSv1.3');
  });

  it('keep secrets and keys out of images: no key in a recipe, only passwords in the environment', () => {
    for (const provider of [postgres, redis]) {
      const service = provider.service!(provider.plans[0]!, provider.credentials(random));
      const recipe = service.image.dockerfile + JSON.stringify(service.image.files);
      expect(recipe).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);
      expect(Object.values(service.env).join('\n')).not.toMatch(/PRIVATE KEY/);
    }
  });
});

/**
 * The certificate lines run as the entrypoints run them (sh, Debian's
 * openssl, here on the host's), in a scratch data folder.
 */
describe('the add-on certificate an entrypoint makes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'plat-addon-tls-'));
  const files = addonTlsFiles(join(scratch, 'data'));
  const scriptFile = join(scratch, 'make-cert.sh');
  writeFileSync(scriptFile, `set -eu\n${selfSignedCertScript(files)}`);
  const run = () => execFileSync('sh', [scriptFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const openssl = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });
  const fingerprint = () => openssl(['x509', '-in', files.cert, '-noout', '-fingerprint', '-sha256']);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('is a TLS server certificate for the hostname, its key 0600, printing nothing', () => {
    expect(run()).toBe('');
    expect(statSync(files.key).mode & 0o777).toBe(0o600);
    expect(openssl(['x509', '-in', files.cert, '-noout', '-subject', '-ext', 'subjectAltName'])).toContain(
      `DNS:${hostname()}`,
    );
    // Self-signed: the certificate is its own trust root (sslrootcert, --cacert).
    expect(openssl(['verify', '-purpose', 'sslserver', '-CAfile', files.cert, files.cert])).toContain('OK');
    expect(openssl(['pkey', '-in', files.key, '-pubout'])).toBe(
      openssl(['x509', '-in', files.cert, '-noout', '-pubkey']),
    );
  });

  it('is kept across starts, and made again when missing, half-replaced or near its end', () => {
    const first = fingerprint();
    run();
    expect(fingerprint()).toBe(first);
    rmSync(files.cert);
    rmSync(files.key);
    run();
    const second = fingerprint();
    expect(second).not.toBe(first);
    writeFileSync(`${files.cert}.new`, readFileSync(files.cert));
    run();
    const third = fingerprint();
    expect(third).not.toBe(second);
    const expiring = [
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', files.key],
      ['req', '-x509', '-new', '-key', files.key, '-days', '2', '-subj', '/CN=old', '-out', files.cert],
    ];
    for (const args of expiring) openssl(args);
    run();
    expect(openssl(['x509', '-in', files.cert, '-noout', '-checkend', String(3000 * 24 * 3600)])).toContain(
      'will not expire',
    );
  });
});
