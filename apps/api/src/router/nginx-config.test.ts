import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../testing/certificates.js';
import { writeCertificateFiles } from './certificate-files.js';
import { certificateStem, renderNginxConfig, type RouteCertificate, type RouterConfigInput } from './nginx-config.js';

const dir = mkdtempSync(join(tmpdir(), 'plat-nginx-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const input: RouterConfigInput = {
  dir,
  logDir: join(dir, 'logs'),
  listenHost: '127.0.0.1',
  port: 18080,
  generation: 7,
  routes: [
    {
      app: 'hello',
      hostnames: ['hello.localhost', 'www.example.com'],
      dynos: [
        { name: 'web.2', port: 32770 },
        { name: 'web.1', port: 32768 },
      ],
      maintenance: false,
    },
    { app: 'idle-app', hostnames: ['idle-app.localhost'], dynos: [], maintenance: false },
    { app: 'closed', hostnames: ['closed.localhost'], dynos: [{ name: 'web.1', port: 32800 }], maintenance: true },
  ],
};

describe('renderNginxConfig', () => {
  const config = renderNginxConfig(input);

  it('balances an app over its web dynos by least connections', () => {
    expect(config).toContain(
      'upstream app_hello {\n    least_conn;\n' +
        '    server 127.0.0.1:32768 max_fails=0;\n    server 127.0.0.1:32770 max_fails=0;',
    );
    expect(config).toContain('server_name hello.localhost www.example.com;');
    expect(config).toContain('proxy_pass http://app_hello;');
  });

  it('answers H14 for an app with no web dynos and H80 in maintenance', () => {
    expect(config).toMatch(
      new RegExp(
        /server_name idle-app\.localhost;[\s\S]*?add_header X-Plat-Error H14 always;/.source +
          /[\s\S]*?return 503 "H14: no web dynos running for idle-app/.source,
      ),
    );
    expect(config).toMatch(
      /server_name closed\.localhost;[\s\S]*?add_header X-Plat-Error H80 always;[\s\S]*?Application under maintenance/,
    );
    expect(config).not.toContain('upstream app_closed');
  });

  it("logs each app's requests to its own file, naming the dyno that answered", () => {
    expect(config).toContain(`access_log ${dir}/logs/hello.log plat buffer=64k flush=250ms;`);
    expect(config).toContain(`access_log ${dir}/logs/idle-app.log plat`);
    // Unknown hosts and the generation probe are not an app's requests.
    expect(config).toContain('  access_log off;');
    expect(config.slice(config.indexOf('server_name _;'), config.indexOf('upstream app_'))).not.toContain('access_log');
    expect(config).toContain('    127.0.0.1:32768 web.1;\n    127.0.0.1:32770 web.2;');
    expect(config).toContain('    "~:32770$" web.2;');
    expect(config).not.toContain('127.0.0.1:32800 web.1;');
  });

  it('sends unknown hosts to a 404 and reports its generation', () => {
    expect(config).toContain('listen 127.0.0.1:18080 default_server;');
    expect(config).toContain('location = /.plat/router-generation { return 200 "7"; }');
  });

  it('forwards the client and request id headers', () => {
    for (const header of ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Port', 'X-Request-Id', 'Upgrade']) {
      expect(config).toContain(`proxy_set_header ${header} `);
    }
  });

  it('refuses values that could inject nginx directives', () => {
    const evil = {
      ...input,
      routes: [{ app: 'x', hostnames: ['a.localhost; return 200'], dynos: [], maintenance: false }],
    };
    expect(() => renderNginxConfig(evil)).toThrow(/unsafe value/);
  });

  it.each([
    ['with apps', config],
    ['with no apps yet', renderNginxConfig({ ...input, routes: [] })],
  ])('passes nginx -t %s', (_, text) => {
    expectNginxToAccept(text);
  });

  it("routes an app's dynos at their addresses on its network, every one on $PORT", () => {
    const config = renderNginxConfig({
      ...input,
      routes: [
        {
          app: 'pair',
          hostnames: ['pair.localhost'],
          dynos: [
            { name: 'web.2', port: 5000, host: '10.20.0.3' },
            { name: 'web.1', port: 5000, host: '10.20.0.2' },
          ],
          maintenance: false,
        },
      ],
    });
    expect(config).toContain('    server 10.20.0.2:5000 max_fails=0;\n    server 10.20.0.3:5000 max_fails=0;');
    // Named by the whole address: a port alone would name both.
    expect(config).toContain('    "~10\\.20\\.0\\.3:5000$" web.2;');
    expect(config).not.toContain('"~:5000$"');
    // A crashed dyno's address does not refuse, it goes unanswered: after 2 s the next dyno is tried,
    // but never after a slow answer, which ends at the read timeout, when no time for retries is left.
    expect(config).toContain('  proxy_connect_timeout 2s;\n  proxy_read_timeout 30s;\n');
    expect(config).toContain('  proxy_next_upstream error timeout http_502;\n  proxy_next_upstream_timeout 30s;\n');
    expectNginxToAccept(config);
  });

  it("routes a swarm app's tasks at their nodes' addresses, one name per address", () => {
    const swarm = renderNginxConfig({
      ...input,
      routes: [
        {
          app: 'spread',
          hostnames: ['spread.localhost'],
          // Two nodes may draw the same port for their tasks.
          dynos: [
            { name: 'web.1', port: 30001 },
            { name: 'web.2', port: 30001, host: '10.0.0.6' },
            { name: 'web.3', port: 30002, host: 'fd00::6' },
          ],
          maintenance: false,
        },
      ],
    });
    // By port, then address: the same dynos listed in another order give the same config.
    expect(swarm).toContain(
      '    server 10.0.0.6:30001 max_fails=0;\n    server 127.0.0.1:30001 max_fails=0;\n' +
        '    server [fd00::6]:30002 max_fails=0;',
    );
    expect(swarm).toContain('    10.0.0.6:30001 web.2;');
    expect(swarm).toContain('    "~10\\.0\\.0\\.6:30001$" web.2;');
    expect(swarm).toContain('    "~\\[fd00::6\\]:30002$" web.3;');
    expectNginxToAccept(swarm);
  });

  it('serves no TLS without a TLS port', () => {
    expect(config).not.toMatch(/ssl|308/);
  });
});

function expectNginxToAccept(text: string): void {
  for (const sub of ['logs', 'tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi'])
    mkdirSync(join(dir, sub), { recursive: true });
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, text);
  const check = spawnSync('nginx', ['-t', '-p', dir, '-e', join(dir, 'error.log'), '-c', path], { encoding: 'utf8' });
  expect(check.stderr).toContain('test is successful');
  expect(check.status).toBe(0);
}

describe('renderNginxConfig with TLS', () => {
  const certDir = join(dir, 'certs');
  let shop: RouteCertificate;
  let wildcard: RouteCertificate;
  let tlsInput: RouterConfigInput;
  let config: string;

  beforeAll(async () => {
    const made = async (hostnames: string[]) => {
      const cert = await makeCertificate({ name: hostnames[0]!, hostnames });
      return { chainPem: cert.pem, keyPem: cert.keyPem };
    };
    shop = { hostnames: ['shop.localhost'], ...(await made(['shop.localhost'])) };
    // Its route lost api.shop.example to screening: only www is served.
    wildcard = { hostnames: ['www.shop.example', 'api.shop.example'], ...(await made(['*.shop.example'])) };
    tlsInput = {
      ...input,
      tls: { port: 18443, certDir },
      routes: [
        {
          app: 'shop',
          hostnames: ['shop.localhost', 'www.shop.example', 'plain.example.org'],
          dynos: [{ name: 'web.1', port: 32900 }],
          maintenance: false,
          certificates: [shop, wildcard],
        },
        { app: 'idle-app', hostnames: ['idle-app.localhost'], dynos: [], maintenance: false },
      ],
    };
    config = renderNginxConfig(tlsInput);
  });

  const namesHost = (block: string, hostname: string) =>
    new RegExp(`server_name (?:[^;]* )?${hostname.replace(/\./g, '\\.')}[ ;]`).test(block);
  /** The server block that names `hostname` and listens on `port`. */
  const serverOf = (text: string, hostname: string, port: number) =>
    text
      .split(/\n {2}server \{\n/)
      .find((block) => block.includes(`listen 127.0.0.1:${port}`) && namesHost(block, hostname));

  it('listens for TLS with HTTP/2, TLS 1.2 and 1.3, and Mozilla intermediate ciphers', () => {
    expect(config).toContain('  ssl_protocols TLSv1.2 TLSv1.3;');
    expect(config).toContain(
      '  ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:' +
        'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305;',
    );
    expect(config).toContain('  ssl_prefer_server_ciphers off;');
    expect(config).not.toMatch(/TLSv1(\.1)? /);
  });

  it('refuses the handshake for a hostname with no certificate (the default TLS server has none)', () => {
    expect(config).toContain(
      '    listen 127.0.0.1:18443 ssl http2 default_server;\n    server_name _;\n    ssl_reject_handshake on;',
    );
    expect(serverOf(config, 'idle-app.localhost', 18443)).toBeUndefined();
    expect(serverOf(config, 'plain.example.org', 18443)).toBeUndefined();
  });

  it('serves each certificate for the hostnames it covers, by SNI, from files named by their contents', () => {
    const own = serverOf(config, 'shop.localhost', 18443)!;
    expect(own).toContain('listen 127.0.0.1:18443 ssl http2;');
    expect(own).toContain('server_name shop.localhost;');
    expect(own).toContain(`ssl_certificate ${certDir}/${certificateStem(shop)}.pem;`);
    expect(own).toContain(`ssl_certificate_key ${certDir}/${certificateStem(shop)}.key;`);
    expect(own).toContain('proxy_pass http://app_shop;');
    expect(own).toContain('error_page 504 = @h12;');
    const wild = serverOf(config, 'www.shop.example', 18443)!;
    expect(wild).toContain('server_name www.shop.example;');
    expect(wild).toContain(`ssl_certificate ${certDir}/${certificateStem(wildcard)}.pem;`);
    expect(certificateStem(shop)).toMatch(/^[0-9a-f]{64}$/);
    expect(certificateStem(shop)).not.toBe(certificateStem(wildcard));
  });

  it('redirects plain HTTP for hostnames with a certificate with 308, except ACME challenges', () => {
    const redirect = serverOf(config, 'shop.localhost', 18080)!;
    expect(redirect).toContain('server_name shop.localhost www.shop.example;');
    expect(redirect).toContain('location / { return 308 https://$host:18443$request_uri; }');
    expect(redirect).toMatch(/location \^~ \/\.well-known\/acme-challenge\/ \{\n\s+proxy_pass http:\/\/app_shop;/);
    const plain = serverOf(config, 'plain.example.org', 18080)!;
    expect(plain).toContain('server_name plain.example.org;');
    expect(plain).not.toContain('308');
    expect(serverOf(config, 'idle-app.localhost', 18080)).toContain('H14');
  });

  it('leaves the port out of the redirect on 443', () => {
    const on443 = renderNginxConfig({ ...tlsInput, tls: { port: 443, certDir } });
    expect(on443).toContain('location / { return 308 https://$host$request_uri; }');
  });

  it('answers ACME challenges on HTTP for every host from the challenge files, else from the app', () => {
    const root = join(dir, 'acme');
    const withChallenges = renderNginxConfig({ ...tlsInput, tls: { port: 18443, certDir, challengeRoot: root } });
    const challenge = (fallback: string) =>
      `    location ^~ /.well-known/acme-challenge/ {\n      root ${root};\n      default_type text/plain;\n` +
      `      try_files $uri ${fallback};\n    }`;
    const unknownHosts = withChallenges.slice(withChallenges.indexOf('server_name _;'));
    expect(unknownHosts.slice(0, unknownHosts.indexOf('\n  }\n'))).toContain(challenge('=404'));
    for (const host of ['shop.localhost', 'plain.example.org', 'idle-app.localhost']) {
      const block = serverOf(withChallenges, host, 18080)!;
      expect(block).toContain(challenge('@app'));
      expect(block).toMatch(/location @app \{\n\s+(proxy_pass http:\/\/app_shop;|add_header X-Plat-Error H14)/);
    }
    expect(serverOf(withChallenges, 'shop.localhost', 18080)).toContain('return 308');
    expect(serverOf(withChallenges, 'www.shop.example', 18443)).not.toContain('acme-challenge');
    writeCertificateFiles(certDir, [shop, wildcard]);
    expectNginxToAccept(withChallenges);
  });

  it('passes nginx -t with certificates on disk, and with none', () => {
    writeCertificateFiles(certDir, [shop, wildcard]);
    expectNginxToAccept(config);
    expectNginxToAccept(renderNginxConfig({ ...tlsInput, routes: [] }));
  });
});
