/**
 * Add-ons over TLS, from the user's side: Heroku's python-getting-started
 * shape (examples/django-getting-started, `dj_database_url.config(ssl_require=True)`,
 * a release phase that migrates) deployed with git push onto a postgres
 * add-on; sslmode=require and verify-full from a one-off dyno; an add-on
 * without a certificate (one provisioned before TLS) getting one at its next
 * start; and redis answering on REDIS_TLS_URL.
 */
import Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';

let platd: Platd;
let repo: string;
let database: string;
const plat = (args: string[]) => platd.plat(args, { cwd: repo });
const docker = new Docker();
const KEY = '/var/lib/plat-postgres/tls/server.key';
const CERT = '/var/lib/plat-postgres/tls/server.crt';

/** An add-on's container, by its labels. */
async function addonContainer(name: string): Promise<Docker.Container> {
  const [info] = await docker.listContainers({
    all: true,
    filters: { label: [`plat.instance=${platd.instance}`, `plat.addon=${name}`] },
  });
  if (!info) throw new Error(`no container of ${name}`);
  return docker.getContainer(info.Id);
}

/** A command inside a container, as its own user: what it printed, stdout and stderr together. */
async function execIn(container: Docker.Container, command: string[]): Promise<string> {
  const exec = await container.exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  let text = '';
  const out = new PassThrough().on('data', (chunk: Buffer) => (text += chunk.toString()));
  docker.modem.demuxStream(stream, out, out);
  await new Promise((resolve) => stream.on('end', resolve));
  return text;
}

async function waitHealthy(container: Docker.Container): Promise<void> {
  const deadline = Date.now() + 60_000;
  let status = '';
  while (Date.now() < deadline && status !== 'healthy') {
    status = (await container.inspect()).State.Health?.Status ?? 'none';
    if (status !== 'healthy') await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(status, 'the add-on container was not healthy within 60 s').toBe('healthy');
}

/** Python run in a one-off dyno of the app; its output. */
async function python(code: string): Promise<string> {
  const run = await plat(['run', 'python', '-c', code]);
  expect(run.code, run.output).toBe(0);
  return run.stdout;
}

/** Python lines that fetch the server's certificate as a client first sees it (trust on first use). */
const FETCH_CERT = `
import os, re, subprocess
from urllib.parse import urlparse
def server_cert(url, path, starttls=None):
    where = urlparse(url)
    args = ['openssl', 's_client', '-connect', f'{where.hostname}:{where.port}', '-showcerts']
    out = subprocess.run(args + (['-starttls', starttls] if starttls else []), input=b'', capture_output=True).stdout
    pem = re.search(rb'-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\\n', out, re.S).group(0)
    open(path, 'wb').write(pem)
    return path
`;

const PG_SSL = `
import os, psycopg2
def ssl_of(**options):
    cursor = psycopg2.connect(os.environ['DATABASE_URL'], **options).cursor()
    cursor.execute('select ssl, version from pg_stat_ssl where pid = pg_backend_pid()')
    ssl, version = cursor.fetchone()
    cursor.execute('show ssl_min_protocol_version')
    return f'{ssl} {version} {cursor.fetchone()[0]}'
`;

beforeAll(async () => {
  platd = await startPlatd();
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'django-getting-started');
  expect((await plat(['apps:create', 'getting'])).code).toBe(0);
});
afterAll(async () => {
  await platd?.destroy();
});

describe('the getting-started Django app on a postgres add-on over TLS', () => {
  it('deploys with ssl_require=True, its release phase migrating the add-on', async () => {
    const created = await plat(['addons:create', 'postgres', '--json']);
    expect(created.code, created.output).toBe(0);
    database = JSON.parse(created.stdout).name;
    // The form Heroku's has: clients opt in to TLS with sslmode.
    expect((await plat(['config:get', 'DATABASE_URL'])).stdout).toMatch(
      new RegExp(`^postgres://\\w+:\\w+@${database}:5432/\\w+\\n$`),
    );
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);
    const releases = JSON.parse((await plat(['releases', '--json'])).stdout);
    expect(releases[0]).toMatchObject({ status: 'succeeded' });
    expect(releases[0].description).toMatch(/^Deploy /);
    const logs = (await plat(['logs', '-n', '300', '--source', 'app'])).stdout;
    expect(logs).toMatch(/app\[release\.\d+\]: +Applying auth\.0001_initial\.\.\. OK/);
    expect(logs).toMatch(/app\[release\.\d+\]: +Applying hello\.0001_initial\.\.\. OK/);
  });

  it('serves a page that reads and writes the database, over TLS', async () => {
    const first = await get(platd.routerPort, 'getting.localhost', '/db/');
    expect(first.status, first.body).toBe(200);
    expect(first.body).toContain('<span id="tls">TLSv1.3</span>');
    expect(first.body).toContain('<span id="count">1</span>');
    expect((await get(platd.routerPort, 'getting.localhost', '/db/')).body).toContain('<span id="count">2</span>');
    expect((await get(platd.routerPort, 'getting.localhost', '/')).body).toContain('Getting started with Python');
  });

  it('answers sslmode=require from a one-off dyno (TLS 1.2 at least), and plain connections asked for', async () => {
    const out = await python(`${PG_SSL}
print(ssl_of(sslmode='require'))
print(ssl_of(sslmode='disable'))`);
    expect(out).toBe('True TLSv1.3 TLSv1.2\nFalse None TLSv1.2\n');
  });

  it("verifies the server's certificate by the add-on's name, and refuses another", async () => {
    const out = await python(`${FETCH_CERT}${PG_SSL}
root = server_cert(os.environ['DATABASE_URL'], '/tmp/database.crt', 'postgres')
print(ssl_of(sslmode='verify-full', sslrootcert=root))
try:
    ssl_of(sslmode='verify-full', sslrootcert='/etc/ssl/certs/ca-certificates.crt')
    print('accepted by the public CAs')
except psycopg2.OperationalError as error:
    print('refused:', 'certificate verify failed' in str(error))`);
    expect(out).toBe('True TLSv1.3 TLSv1.2\nrefused: True\n');
  });

  it('keeps the private key 0600 under the postgres user, out of the logs and the environment', async () => {
    const container = await addonContainer(database);
    expect(await execIn(container, ['stat', '-c', '%a %U', KEY])).toBe('600 postgres\n');
    const logs = (await container.logs({ stdout: true, stderr: true, tail: 500 })).toString();
    expect(logs).not.toContain('PRIVATE KEY');
    const info = await container.inspect();
    expect(JSON.stringify(info.Config.Env)).not.toContain('PRIVATE KEY');
    expect(info.Config.Hostname).toBe(database);
  });

  it('gives an add-on with no certificate (one provisioned before TLS) one at its next start', async () => {
    const container = await addonContainer(database);
    const fingerprint = () => execIn(container, ['openssl', 'x509', '-in', CERT, '-noout', '-fingerprint', '-sha256']);
    const before = await fingerprint();
    expect(before).toMatch(/^sha256 Fingerprint=/i);
    expect(await execIn(container, ['rm', '-r', '/var/lib/plat-postgres/tls'])).toBe('');
    await container.restart({ t: 10 });
    await waitHealthy(container);
    const after = await fingerprint();
    expect(after).toMatch(/^sha256 Fingerprint=/i);
    expect(after).not.toBe(before);
    expect(await python(`${PG_SSL}\nprint(ssl_of(sslmode='require'))`)).toBe('True TLSv1.3 TLSv1.2\n');
    // The web dyno's kept connections died with the server: Django drops them and connects again.
    const deadline = Date.now() + 30_000;
    let body = '';
    while (Date.now() < deadline && !body.includes('<span id="count">')) {
      body = (await get(platd.routerPort, 'getting.localhost', '/db/').catch(() => ({ body: '' }))).body;
      if (!body.includes('<span id="count">')) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(body, 'the page did not read the database again within 30 s').toContain('<span id="count">3</span>');
    expect(body).toContain('<span id="tls">TLSv1.3</span>');
  });
});

describe('redis over TLS', () => {
  let redis: string;

  it('sets REDIS_TLS_URL beside REDIS_URL, and answers PING over TLS', async () => {
    const created = await plat(['addons:create', 'redis', '--json']);
    expect(created.code, created.output).toBe(0);
    redis = JSON.parse(created.stdout).name;
    expect((await plat(['config:get', 'REDIS_URL'])).stdout).toMatch(new RegExp(`^redis://:\\w+@${redis}:6379\\n$`));
    expect((await plat(['config:get', 'REDIS_TLS_URL'])).stdout).toMatch(
      new RegExp(`^rediss://:\\w+@${redis}:6380\\n$`),
    );
    const out = await python(`${FETCH_CERT}
import redis
tls = os.environ['REDIS_TLS_URL']
print(redis.from_url(tls, ssl_cert_reqs=None).ping())
root = server_cert(tls, '/tmp/redis.crt')
verified = redis.from_url(tls, ssl_cert_reqs='required', ssl_ca_certs=root, ssl_check_hostname=True)
verified.set('over', 'tls')
print(redis.from_url(os.environ['REDIS_URL']).get('over').decode(), verified.config_get('tls-protocols'))`);
    expect(out).toBe("True\ntls {'tls-protocols': 'TLSv1.2 TLSv1.3'}\n");
  });

  it('unsets both vars when it is destroyed', async () => {
    const destroyed = await plat(['addons:destroy', redis, '--confirm', redis]);
    expect(destroyed.code, destroyed.output).toBe(0);
    const config = JSON.parse((await plat(['config', '--json'])).stdout);
    expect(Object.keys(config).filter((key) => key.startsWith('REDIS'))).toEqual([]);
    expect(config).toHaveProperty('DATABASE_URL');
  });
});
