/** The API domain's servers in the router's config (PLAT_API_DOMAIN): renderNginxConfig's `api`. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../testing/certificates.js';
import { writeCertificateFiles } from './certificate-files.js';
import {
  type ApiServerInput,
  certificateStem,
  renderNginxConfig,
  type RouteCertificate,
  type RouterConfigInput,
} from './nginx-config.js';

const dir = mkdtempSync(join(tmpdir(), 'plat-nginx-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const certDir = join(dir, 'certs');
const challengeRoot = join(dir, 'acme');

const api: ApiServerInput = {
  hostname: 'plat.example.com',
  upstream: { host: '127.0.0.1', port: 5000 },
  maxPushBytes: 200 * 1024 ** 2,
  pushTimeoutSeconds: 1200,
};

const input: RouterConfigInput = {
  dir,
  logDir: join(dir, 'logs'),
  listenHost: '127.0.0.1',
  port: 18080,
  generation: 3,
  tls: { port: 18443, certDir, challengeRoot },
  routes: [
    // A domain stored before PLAT_API_DOMAIN was set: the API keeps it.
    {
      app: 'hello',
      hostnames: ['hello.localhost', 'plat.example.com'],
      dynos: [{ name: 'web.1', port: 32768 }],
      maintenance: false,
    },
  ],
  api,
};

/** The server block that names `hostname` and listens on `port`. */
const serverOf = (text: string, hostname: string, port: number) =>
  text
    .split(/\n {2}server \{\n/)
    .find(
      (block) =>
        block.includes(`listen 127.0.0.1:${port}`) &&
        new RegExp(`server_name (?:[^;]* )?${hostname.replace(/\./g, '\\.')}[ ;]`).test(block),
    );

function expectNginxToAccept(text: string): void {
  for (const sub of ['logs', 'tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi'])
    mkdirSync(join(dir, sub), { recursive: true });
  const path = join(dir, 'nginx.conf');
  writeFileSync(path, text);
  const check = spawnSync('nginx', ['-t', '-p', dir, '-e', join(dir, 'error.log'), '-c', path], { encoding: 'utf8' });
  expect(check.stderr).toContain('test is successful');
  expect(check.status).toBe(0);
}

describe('renderNginxConfig with an API domain', () => {
  let certificate: RouteCertificate;
  let plain: string;
  let secured: string;

  beforeAll(async () => {
    const made = await makeCertificate({ name: 'plat', hostnames: ['plat.example.com'] });
    certificate = { hostnames: ['plat.example.com'], chainPem: made.pem, keyPem: made.keyPem };
    plain = renderNginxConfig(input);
    secured = renderNginxConfig({ ...input, api: { ...api, certificate } });
  });

  it('proxies the API and git to platd on HTTP while it has no certificate, answering ACME challenges', () => {
    const server = serverOf(plain, 'plat.example.com', 18080)!;
    expect(server).toContain('server_name plat.example.com;');
    expect(server).toContain('location / {\n      proxy_pass http://127.0.0.1:5000;');
    expect(server).toContain('location ^~ /git/ {\n      proxy_pass http://127.0.0.1:5000;');
    expect(server).toContain(`root ${challengeRoot};`);
    expect(server).toContain('try_files $uri =404;');
    expect(server).not.toContain('308');
    expect(serverOf(plain, 'plat.example.com', 18443)).toBeUndefined();
  });

  it('streams pushes, build output and log tails, bounded by the push limit and the build time', () => {
    const server = serverOf(plain, 'plat.example.com', 18080)!;
    expect(server).toContain('    proxy_buffering off;');
    const git = server.slice(server.indexOf('location ^~ /git/'));
    expect(git).toContain('proxy_request_buffering off;');
    expect(git).toContain(`client_max_body_size ${201 * 1024 ** 2};`);
    expect(git).toContain('proxy_read_timeout 1200s;');
    const rest = server.slice(server.indexOf('location / {'), server.indexOf('location ^~ /git/'));
    expect(rest).not.toContain('proxy_request_buffering');
    expect(rest).toContain('proxy_read_timeout 3600s;');
  });

  it("keeps a push open across any app's deploy: old workers live as long as a push may", () => {
    expect(plain).toContain('worker_shutdown_timeout 1200s;');
    expect(renderNginxConfig({ ...input, api: undefined })).toContain('worker_shutdown_timeout 30s;');
  });

  it("forwards the peer's address alone, and repeats every header it sets (nginx inherits none then)", () => {
    const server = serverOf(plain, 'plat.example.com', 18080)!;
    expect(server).toContain('proxy_set_header X-Forwarded-For $remote_addr;');
    for (const header of [
      'Host $host',
      'Upgrade',
      'Connection',
      'X-Forwarded-Proto',
      'X-Forwarded-Port',
      'X-Request-Id',
    ])
      expect(server).toContain(`proxy_set_header ${header}`);
  });

  it('takes the API domain from any app route that names it', () => {
    expect(serverOf(plain, 'hello.localhost', 18080)).not.toContain('plat.example.com');
    expect(plain.match(/server_name [^;]*plat\.example\.com/g)).toHaveLength(1);
  });

  it('serves HTTPS with its certificate once it has one, and redirects plain HTTP with 308 but challenges', () => {
    const tls = serverOf(secured, 'plat.example.com', 18443)!;
    expect(tls).toContain('listen 127.0.0.1:18443 ssl http2;');
    expect(tls).toContain(`ssl_certificate ${certDir}/${certificateStem(certificate)}.pem;`);
    expect(tls).toContain(`ssl_certificate_key ${certDir}/${certificateStem(certificate)}.key;`);
    expect(tls).toContain('proxy_request_buffering off;');
    const http = serverOf(secured, 'plat.example.com', 18080)!;
    expect(http).toContain('location / { return 308 https://$host:18443$request_uri; }');
    expect(http).toContain('location ^~ /.well-known/acme-challenge/');
    expect(http).not.toContain('proxy_pass');
  });

  it('reaches platd on IPv6 in brackets, and refuses an unsafe hostname', () => {
    const v6 = renderNginxConfig({ ...input, api: { ...api, upstream: { host: '::1', port: 5000 } } });
    expect(v6).toContain('proxy_pass http://[::1]:5000;');
    expect(() => renderNginxConfig({ ...input, api: { ...api, hostname: 'x.com; return 200' } })).toThrow(/unsafe/);
  });

  it('passes nginx -t with and without its certificate', () => {
    writeCertificateFiles(certDir, [certificate]);
    expectNginxToAccept(plain);
    expectNginxToAccept(secured);
  });
});
