/**
 * HTTPS through the router, end to end: real platd, Docker, nginx and the
 * plat CLI. Two deployed apps get certificates made here (a test CA): each
 * is served by SNI over HTTP/2, plain HTTP redirects, the dyno learns the
 * request came over HTTPS, and bad certificates are refused with nothing
 * changed.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { dirname, join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate, makeChain, type TestCertificate } from '../apps/api/src/testing/certificates.js';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';

const DAY = 86_400_000;
let platd: Platd;
const repos: Record<string, string> = {};
let shop: Awaited<ReturnType<typeof makeChain>>;
let blog: Awaited<ReturnType<typeof makeChain>>;

async function plat(app: string, args: string[]) {
  return platd.plat([...args, '-a', app], { cwd: repos[app] });
}

async function certsOf(app: string): Promise<{
  hostnames: { hostname: string; source: string | null; state: string; certificate_id: string | null }[];
  certificates: { id: string }[];
}> {
  const listed = await plat(app, ['certs', '--json']);
  expect(listed.code, listed.output).toBe(0);
  return JSON.parse(listed.stdout);
}

/** Writes PEM files where the user keeps them; returns their paths. */
function pemFiles(name: string, chain: string, key: string): [string, string] {
  const dir = dirname(platd.dataDir);
  writeFileSync(join(dir, `${name}.crt`), chain);
  writeFileSync(join(dir, `${name}.key`), key, { mode: 0o600 });
  return [join(dir, `${name}.crt`), join(dir, `${name}.key`)];
}

/** The certificate the router presents for `servername`, and the protocol ALPN chose. */
function handshake(servername: string, ca: string): Promise<{ fingerprint: string; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: platd.routerTlsPort,
      servername,
      ca,
      ALPNProtocols: ['h2', 'http/1.1'],
      timeout: 10_000,
    });
    socket.on('secureConnect', () => {
      const fingerprint = new X509Certificate(socket.getPeerX509Certificate()!.raw).fingerprint256;
      resolve({ fingerprint, alpn: socket.alpnProtocol });
      socket.end();
    });
    socket.on('timeout', () => socket.destroy(new Error(`TLS handshake for ${servername} timed out`)));
    socket.on('error', reject);
  });
}

/** A GET over HTTP/2 and TLS, trusting only `ca`. */
function h2Get(servername: string, path: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Dialled by address, named by SNI and :authority, as a browser whose DNS points here.
    const session = http2Connect(`https://127.0.0.1:${platd.routerTlsPort}`, { ca, servername });
    session.on('error', reject);
    const request = session.request({ ':path': path, ':authority': servername });
    request.setTimeout(10_000, () => request.close());
    let status = 0;
    let body = '';
    request.on('response', (headers) => (status = Number(headers[':status'])));
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      session.close();
      resolve({ status, body });
    });
    request.on('error', reject);
  });
}

const fingerprint = (certificate: TestCertificate) => new X509Certificate(certificate.pem).fingerprint256;

beforeAll(async () => {
  platd = await startPlatd();
  const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
  expect(login.code, login.output).toBe(0);
  for (const [app, domain] of [
    ['shop', 'www.shop.example'],
    ['blog', 'blog.example.org'],
  ] as const) {
    const repo = await exampleRepo(platd, 'flask-hello');
    repos[app] = repo;
    // A route that shows what the router told the dyno about the request.
    const source = readFileSync(join(repo, 'app.py'), 'utf8');
    writeFileSync(
      join(repo, 'app.py'),
      `${source}\n\n@app.route("/headers")\ndef headers():\n` +
        '    from flask import request\n' +
        '    return " ".join(f"{k}={request.headers.get(k)}" for k in ("X-Forwarded-Proto", "X-Forwarded-Port"))\n',
    );
    await platd.git(['commit', '-qam', 'headers'], repo);
    expect((await platd.plat(['apps:create', app], { cwd: repo })).code).toBe(0);
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);
    const added = await plat(app, ['domains:add', domain]);
    expect(added.code, added.output).toBe(0);
  }
  shop = await makeChain({ name: 'shop', hostnames: ['www.shop.example'] });
  blog = await makeChain({ name: 'blog', hostnames: ['blog.example.org', 'blog.localhost'] });
}, 600_000);
afterAll(async () => {
  await platd?.destroy();
});

describe('own certificates over HTTPS', () => {
  it('refuses an expired certificate, a mismatched key and foreign hostnames, changing nothing', async () => {
    const before = await certsOf('shop');
    const expired = await makeCertificate({
      name: 'old',
      hostnames: ['www.shop.example'],
      notBefore: new Date(Date.now() - 100 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const cases: [string, string, RegExp][] = [
      [expired.pem, expired.keyPem, /The certificate expired on/],
      [shop.leaf.pem, blog.leaf.keyPem, /does not match the private key/],
      [blog.leaf.pem, blog.leaf.keyPem, /covers none of shop's hostnames/],
    ];
    for (const [index, [chain, key, why]] of cases.entries()) {
      const refused = await plat('shop', ['certs:add', ...pemFiles(`bad-${index}`, chain, key)]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(why);
    }
    expect(await certsOf('shop')).toEqual(before);
    await expect(handshake('www.shop.example', shop.root.pem)).rejects.toThrow(/unrecognized name/);
    expect((await get(platd.routerPort, 'www.shop.example', '/')).status).toBe(200);
  });

  it("serves each app's certificate by SNI, over HTTP/2, once added with plat certs:add", async () => {
    const shopAdded = await plat('shop', [
      'certs:add',
      ...pemFiles('shop', shop.leaf.pem + shop.intermediate.pem, shop.leaf.keyPem),
    ]);
    expect(shopAdded.code, shopAdded.output).toBe(0);
    expect(shopAdded.stdout).toContain('Serving www.shop.example over HTTPS');
    const blogAdded = await plat('blog', [
      'certs:add',
      ...pemFiles('blog', blog.leaf.pem + blog.intermediate.pem, blog.leaf.keyPem),
    ]);
    expect(blogAdded.code, blogAdded.output).toBe(0);
    expect(blogAdded.stdout).toContain('Serving blog.localhost, blog.example.org over HTTPS');

    expect(await handshake('www.shop.example', shop.root.pem)).toEqual({
      fingerprint: fingerprint(shop.leaf),
      alpn: 'h2',
    });
    expect(await handshake('blog.example.org', blog.root.pem)).toEqual({
      fingerprint: fingerprint(blog.leaf),
      alpn: 'h2',
    });
    expect((await handshake('blog.localhost', blog.root.pem)).fingerprint).toBe(fingerprint(blog.leaf));
    const page = await h2Get('www.shop.example', '/', shop.root.pem);
    expect(page).toMatchObject({ status: 200, body: expect.stringContaining('Hello from Flask on Plat') });
    // The app's own hostname has no certificate: no HTTPS for it, and HTTP stays.
    await expect(handshake('shop.localhost', shop.root.pem)).rejects.toThrow(/unrecognized name/);
    expect((await get(platd.routerPort, 'shop.localhost', '/')).status).toBe(200);

    const table = await plat('shop', ['certs']);
    expect(table.stdout).toMatch(/www\.shop\.example\s+own\s+\d{4}-\d\d-\d\d \(in \d+ days\)\s+ok/);
    expect(table.stdout).toMatch(/shop\.localhost\s+-\s+-\s+none \(HTTP only\)/);
  });

  it('tells the dyno the request came over HTTPS', async () => {
    const headers = await h2Get('www.shop.example', '/headers', shop.root.pem);
    expect(headers.body).toBe(`X-Forwarded-Proto=https X-Forwarded-Port=${platd.routerTlsPort}`);
    const plain = await get(platd.routerPort, 'shop.localhost', '/headers');
    expect(plain.body).toBe(`X-Forwarded-Proto=http X-Forwarded-Port=${platd.routerPort}`);
  });

  it('redirects plain HTTP with 308 to HTTPS, but not ACME challenges', async () => {
    const redirected = await get(platd.routerPort, 'blog.example.org', '/posts?page=2');
    expect(redirected.status).toBe(308);
    expect(redirected.headers.location).toBe(`https://blog.example.org:${platd.routerTlsPort}/posts?page=2`);
    const challenge = await get(platd.routerPort, 'blog.example.org', '/.well-known/acme-challenge/x');
    expect(challenge.status).toBe(404);
    expect(challenge.body).not.toContain('https://');
  });

  it('stops serving a certificate removed with plat certs:remove: HTTP only again', async () => {
    const removed = await plat('blog', ['certs:remove', 'blog.example.org']);
    expect(removed.code, removed.output).toBe(0);
    expect((await certsOf('blog')).certificates).toEqual([]);
    // The removal answers once nginx serves without it.
    await expect(handshake('blog.example.org', blog.root.pem)).rejects.toThrow(/unrecognized name/);
    expect((await get(platd.routerPort, 'blog.example.org', '/')).status).toBe(200);
    expect((await handshake('www.shop.example', shop.root.pem)).fingerprint).toBe(fingerprint(shop.leaf));
  });
});
