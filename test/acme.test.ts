/**
 * Automatic certificates end to end: a real platd with Docker and nginx, and
 * a real ACME CA on loopback (Debian's pebble, with pebble-challtestsrv
 * resolving every name to 127.0.0.1) validating HTTP-01 against the router's
 * HTTP port, no shortcut. pebble issues short-lived certificates here, so a
 * renewal comes within the test.
 */
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPebble, type Pebble } from './support/pebble.js';
import { startPlatd, type Platd } from './support/platd.js';
import { freePort } from './support/ports.js';
import { until } from './support/until.js';

/** Seconds pebble's certificates last: renewed after two thirds, 60 s. */
const VALIDITY = 90;
let pebble: Pebble;
let platd: Platd;
let repo: string;
let routerPort: number;

const plat = (args: string[]) => platd.plat([...args, '-a', 'shop'], { cwd: repo });

interface Overview {
  acm: boolean;
  hostnames: { hostname: string; source: string | null; state: string; expires_at: string | null }[];
}

async function certs(): Promise<Overview> {
  const listed = await plat(['certs', '--json']);
  expect(listed.code, listed.output).toBe(0);
  return JSON.parse(listed.stdout);
}

const stateOf = async (hostname: string) => (await certs()).hostnames.find((entry) => entry.hostname === hostname);

/**
 * The leaf the router presents for `servername`, over a handshake that
 * verifies it as a browser would: chain up to `ca`, name, validity.
 */
function verifiedLeaf(servername: string, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: platd.routerTlsPort, servername, ca, timeout: 10_000 });
    socket.on('secureConnect', () => {
      resolve(new X509Certificate(socket.getPeerX509Certificate()!.raw));
      socket.end();
    });
    socket.on('timeout', () => socket.destroy(new Error(`TLS to ${servername} timed out`)));
    socket.on('error', reject);
  });
}

/** Waits for `check`, showing platd's and pebble's output when it does not come. */
function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  return until(what, check, timeoutMs).catch((error: Error) => {
    throw new Error(`${error.message}\n--- platd ---\n${platd.output()}\n--- pebble ---\n${pebble.output()}`);
  });
}

beforeAll(async () => {
  routerPort = await freePort();
  pebble = await startPebble({ httpPort: routerPort, certificateValidityPeriod: VALIDITY });
  platd = await startPlatd({
    env: {
      PLAT_ROUTER_PORT: String(routerPort),
      PLAT_ACME_DIRECTORY: pebble.directoryUrl,
      PLAT_ACME_CA_FILE: pebble.caFile,
      PLAT_ACME_EMAIL: 'ops@plat.test',
    },
  });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  expect((await platd.plat(['apps:create', 'shop'], { cwd: repo })).code).toBe(0);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
  for (const domain of ['www.shop.test', 'fail.shop.test']) expect((await plat(['domains:add', domain])).code).toBe(0);
  // Validation of this one dials an address nothing listens on.
  await pebble.resolve('fail.shop.test', ['127.0.0.2']);
}, 600_000);
afterAll(async () => {
  await platd?.destroy();
  await pebble?.stop();
});

describe('automatic certificates from an ACME CA', () => {
  let first: X509Certificate;

  it('issues a certificate by HTTP-01 through the router and serves it, trusted under the CA root', async () => {
    const enabled = await plat(['certs:auto:enable']);
    expect(enabled.code, enabled.output).toBe(0);
    expect(enabled.stdout).toMatch(/www\.shop\.test\s+-\s+-\s+pending/);
    const ok = await waitFor(
      'www.shop.test to get its certificate',
      async () => {
        const entry = await stateOf('www.shop.test');
        return entry?.state === 'ok' && entry;
      },
      90_000,
    );
    expect(ok).toMatchObject({ source: 'acme' });
    // `ok` means issued and stored; the router serves it once its reload that follows is done.
    const root = await pebble.issuingRoot();
    first = await waitFor(
      'the router to serve the certificate of www.shop.test',
      () => verifiedLeaf('www.shop.test', root).catch(() => undefined),
      30_000,
    );
    expect(first.subjectAltName).toBe('DNS:www.shop.test');
    expect(first.issuer).toMatch(/Pebble Intermediate CA/);
    expect(new Date(ok.expires_at!).getTime()).toBe(new Date(first.validTo).getTime());
    // The certificate now redirects plain HTTP; challenges still reach the router over HTTP.
    const redirected = await get(routerPort, 'www.shop.test', '/');
    expect(redirected.status).toBe(308);
    expect(redirected.headers.location).toBe(`https://www.shop.test:${platd.routerTlsPort}/`);
    expect((await get(routerPort, 'www.shop.test', '/.well-known/acme-challenge/unknown')).status).toBe(404);
  });

  it("shows a hostname that fails validation as failing with the CA's message; HTTP still serves it", async () => {
    const failing = await waitFor(
      'fail.shop.test to fail',
      async () => {
        const entry = await stateOf('fail.shop.test');
        return entry?.state.startsWith('failing: ') && entry;
      },
      90_000,
    );
    expect(failing.source).toBeNull();
    expect(failing.state).toMatch(/^failing: .*fail\.shop\.test.*/);
    const listed = await plat(['certs']);
    expect(listed.stdout).toContain(failing.state);
    const page = await get(routerPort, 'fail.shop.test', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Hello from Flask on Plat');
  });

  it('renews a certificate near its end and serves the new one', async () => {
    expect(first, 'the first certificate was never served').toBeDefined();
    const renewed = await waitFor(
      'the certificate of www.shop.test to be renewed',
      async () => {
        const leaf = await verifiedLeaf('www.shop.test', await pebble.issuingRoot()).catch(() => undefined);
        return leaf && leaf.fingerprint256 !== first.fingerprint256 && leaf;
      },
      (VALIDITY + 60) * 1000,
    );
    expect(new Date(renewed.validTo).getTime()).toBeGreaterThan(new Date(first.validTo).getTime());
    expect(platd.output()).toMatch(/Renewed the certificate for www\.shop\.test/);
  });

  it('stops serving the automatic certificates once disabled: HTTP only again', async () => {
    const disabled = await plat(['certs:auto:disable']);
    expect(disabled.code, disabled.output).toBe(0);
    expect((await certs()).acm).toBe(false);
    await expect(verifiedLeaf('www.shop.test', await pebble.issuingRoot())).rejects.toThrow(/unrecognized name/);
    expect((await get(routerPort, 'www.shop.test', '/')).status).toBe(200);
  });
});
