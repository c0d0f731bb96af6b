/**
 * The router's HTTPS with real nginx in front of a small HTTP server standing
 * in for two apps' dynos (it answers with the headers it got). No Docker.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get } from '../../../../test/support/http.js';
import { freePort } from '../../../../test/support/ports.js';
import { makeChain, type TestCertificate } from '../testing/certificates.js';
import { NginxRouter } from './nginx.js';
import type { RouteTarget } from './router.js';

interface TlsAnswer {
  certificate: X509Certificate;
  alpn: string | false | null;
  /** The raw HTTP/1.1 response, when one was asked for. */
  response: string;
}

/** A TLS connection to the router as a browser makes it: SNI, ALPN, the test CA trusted. */
function tlsRequest(
  port: number,
  servername: string,
  options: { ca: string; alpn?: string[]; request?: string },
): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect({
      host: '127.0.0.1',
      port,
      servername,
      ca: options.ca,
      ALPNProtocols: options.alpn ?? ['http/1.1'],
      timeout: 10_000,
    });
    let response = '';
    socket.on('secureConnect', () => {
      const certificate = new X509Certificate(socket.getPeerX509Certificate()!.raw);
      const alpn = socket.alpnProtocol;
      if (!options.request) {
        socket.end();
        resolve({ certificate, alpn, response });
        return;
      }
      socket.write(options.request);
      socket.on('data', (chunk: Buffer) => (response += chunk));
      socket.on('end', () => resolve({ certificate, alpn, response }));
    });
    socket.on('timeout', () => socket.destroy(new Error(`TLS to ${servername} timed out`)));
    socket.on('error', reject);
  });
}

const httpGet = (host: string, path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\nX-Forwarded-Proto: forged\r\n\r\n`;

describe('router HTTPS', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'plat-router-tls-'));
  let dyno: Server;
  let router: NginxRouter;
  let port: number;
  let tlsPort: number;
  let shop: { root: TestCertificate; intermediate: TestCertificate; leaf: TestCertificate };
  let blog: { root: TestCertificate; intermediate: TestCertificate; leaf: TestCertificate };
  let routes: RouteTarget[];

  beforeAll(async () => {
    dyno = createServer((req, res) => {
      const seen = ['x-forwarded-proto', 'x-forwarded-port', 'host'].map((name) => `${name}=${req.headers[name]}`);
      res.end(`${req.url} ${seen.join(' ')}\n`);
    });
    await new Promise<void>((resolve) => dyno.listen(0, '127.0.0.1', resolve));
    [port, tlsPort] = [await freePort(), await freePort()];
    router = new NginxRouter({ dir: join(dataDir, 'router'), listenHost: '127.0.0.1', port, tlsPort });
    shop = await makeChain({ name: 'shop', hostnames: ['www.shop.example'] });
    blog = await makeChain({ name: 'blog', hostnames: ['blog.example.org', 'blog.localhost'] });
    const dynos = [{ name: 'web.1', port: (dyno.address() as { port: number }).port }];
    const pem = (chain: typeof shop) => ({
      chainPem: chain.leaf.pem + chain.intermediate.pem,
      keyPem: chain.leaf.keyPem,
    });
    routes = [
      {
        app: 'shop',
        hostnames: ['shop.localhost', 'www.shop.example'],
        dynos,
        maintenance: false,
        certificates: [{ hostnames: ['www.shop.example'], ...pem(shop) }],
      },
      {
        app: 'blog',
        hostnames: ['blog.localhost', 'blog.example.org'],
        dynos,
        maintenance: false,
        certificates: [{ hostnames: ['blog.localhost', 'blog.example.org'], ...pem(blog) }],
      },
    ];
    await router.apply(routes);
  });
  afterAll(async () => {
    await router?.stop();
    dyno?.closeAllConnections();
    await new Promise((resolve) => dyno?.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves each app's certificate by SNI, with its chain, over HTTP/2 when the client offers it", async () => {
    const toShop = await tlsRequest(tlsPort, 'www.shop.example', { ca: shop.root.pem, alpn: ['h2', 'http/1.1'] });
    expect(toShop.certificate.fingerprint256).toBe(fingerprint(shop.leaf));
    expect(toShop.alpn).toBe('h2');
    const toBlog = await tlsRequest(tlsPort, 'blog.example.org', { ca: blog.root.pem, alpn: ['h2', 'http/1.1'] });
    expect(toBlog.certificate.fingerprint256).toBe(fingerprint(blog.leaf));
    expect(toBlog.certificate.subjectAltName).toBe('DNS:blog.example.org, DNS:blog.localhost');
  });

  it('passes requests to the dyno with X-Forwarded-Proto https, whatever the client claimed', async () => {
    const answer = await tlsRequest(tlsPort, 'www.shop.example', {
      ca: shop.root.pem,
      request: httpGet('www.shop.example', '/hello'),
    });
    expect(answer.response).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.response).toContain(
      `/hello x-forwarded-proto=https x-forwarded-port=${tlsPort} host=www.shop.example\n`,
    );
    const plain = await get(port, 'shop.localhost', '/hello', { headers: { 'x-forwarded-proto': 'https' } });
    expect(plain.body).toBe(`/hello x-forwarded-proto=http x-forwarded-port=${port} host=shop.localhost\n`);
  });

  it('redirects plain HTTP to HTTPS with 308 for hostnames with a certificate, but not ACME challenges', async () => {
    const redirected = await get(port, 'www.shop.example', '/cart?id=3');
    expect(redirected.status).toBe(308);
    expect(redirected.headers.location).toBe(`https://www.shop.example:${tlsPort}/cart?id=3`);
    const challenge = await get(port, 'www.shop.example', '/.well-known/acme-challenge/token-1');
    // A token the router has no file for goes to the app: it may do ACME itself.
    expect(challenge.status).toBe(200);
    expect(challenge.body).toContain('/.well-known/acme-challenge/token-1 x-forwarded-proto=http');
    expect((await get(port, 'shop.localhost', '/')).status).toBe(200);
  });

  it('answers ACME challenges on HTTP for every host from its challenge files, read by the workers', async () => {
    router.challenges.set('tok_en-1', 'tok_en-1.thumbprint');
    for (const host of ['www.shop.example', 'shop.localhost', 'not-an-app.example']) {
      const answer = await get(port, host, '/.well-known/acme-challenge/tok_en-1');
      expect(answer).toMatchObject({ status: 200, body: 'tok_en-1.thumbprint' });
      expect(answer.headers['content-type']).toBe('text/plain');
    }
    expect((await get(port, 'not-an-app.example', '/.well-known/acme-challenge/other')).status).toBe(404);
    router.challenges.remove('tok_en-1');
    expect((await get(port, 'not-an-app.example', '/.well-known/acme-challenge/tok_en-1')).status).toBe(404);
    expect(() => router.challenges.set('../escape', 'x')).toThrow(/not base64url/);
  });

  it('refuses the handshake for a hostname with no certificate, and without SNI', async () => {
    await expect(tlsRequest(tlsPort, 'shop.localhost', { ca: shop.root.pem })).rejects.toThrow(/unrecognized name/);
    await expect(tlsRequest(tlsPort, 'unknown.example', { ca: shop.root.pem })).rejects.toThrow(/unrecognized name/);
  });

  it('refuses TLS 1.1 and older', async () => {
    const old = new Promise((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port: tlsPort,
        servername: 'www.shop.example',
        ca: shop.root.pem,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
      });
      socket.on('secureConnect', () => resolve(socket.end()));
      socket.on('error', reject);
    });
    await expect(old).rejects.toThrow(/protocol|version/i);
  });

  it('keeps keys readable by their owner only, and drops the files of a certificate no longer served', async () => {
    const certDir = join(dataDir, 'router', 'certs');
    expect(statSync(certDir).mode & 0o777).toBe(0o700);
    const keys = readdirSync(certDir).filter((name) => name.endsWith('.key'));
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(statSync(join(certDir, key)).mode & 0o777).toBe(0o600);
    const renewed = await makeChain({ name: 'shop', hostnames: ['www.shop.example'] });
    await router.apply([
      {
        ...routes[0]!,
        certificates: [
          {
            hostnames: ['www.shop.example'],
            chainPem: renewed.leaf.pem + renewed.intermediate.pem,
            keyPem: renewed.leaf.keyPem,
          },
        ],
      },
      { ...routes[1]!, certificates: [] },
    ]);
    const served = await tlsRequest(tlsPort, 'www.shop.example', { ca: renewed.root.pem });
    expect(served.certificate.fingerprint256).toBe(fingerprint(renewed.leaf));
    expect(readdirSync(certDir)).toHaveLength(2);
    await expect(tlsRequest(tlsPort, 'blog.example.org', { ca: blog.root.pem })).rejects.toThrow(/unrecognized name/);
    expect((await get(port, 'blog.example.org', '/')).status).toBe(200);
  });
});

function fingerprint(certificate: TestCertificate): string {
  return new X509Certificate(certificate.pem).fingerprint256;
}
