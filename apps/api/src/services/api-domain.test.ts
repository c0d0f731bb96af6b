import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiDomainSettings } from '../config.js';
import type { Sql } from '../store/database.js';
import { makeCertificate, makeChain } from '../testing/certificates.js';
import { FakeRouter } from '../testing/fake-router.js';
import { ApiDomain, certificateFromFiles } from './api-domain.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'plat-api-domain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(name: string, chainPem: string, keyPem: string): { chainFile: string; keyFile: string } {
  writeFileSync(join(dir, `${name}.crt`), chainPem);
  writeFileSync(join(dir, `${name}.key`), keyPem);
  return { chainFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
}

function apiDomain(certificate: ApiDomainSettings['certificate'], routerTlsPort = 8443) {
  const router = new FakeRouter();
  const settings = { routerPort: 8080, routerTlsPort, apiDomain: { hostname: 'plat.example.com', certificate } };
  const logged: string[] = [];
  const domain = new ApiDomain({
    sql: undefined as unknown as Sql,
    settings,
    router,
    log: (line) => logged.push(line),
  });
  return { domain, router, logged };
}

describe('the API domain', () => {
  it('serves the certificate files, checked, and then tells clients to use HTTPS', async () => {
    const { leaf, intermediate } = await makeChain({ name: 'plat', hostnames: ['plat.example.com'] });
    const { domain, router } = apiDomain({
      source: 'files',
      ...files('good', leaf.pem + intermediate.pem, leaf.keyPem),
    });
    expect(domain.url).toBe('http://plat.example.com:8080');
    await domain.load();
    expect(router.apiCertificate?.hostnames).toEqual(['plat.example.com']);
    expect(router.apiCertificate?.chainPem).toContain('BEGIN CERTIFICATE');
    expect(router.apiCertificate?.keyPem).toContain('BEGIN PRIVATE KEY');
    expect(domain.url).toBe('https://plat.example.com:8443');
    expect(apiDomain({ source: 'none' }, 443).domain.hostname).toBe('plat.example.com');
  });

  it('leaves the port out on 443', async () => {
    const { leaf } = await makeChain({ name: 'plat', hostnames: ['plat.example.com'] });
    const { domain } = apiDomain({ source: 'files', ...files('on443', leaf.pem, leaf.keyPem) }, 443);
    await domain.load();
    expect(domain.url).toBe('https://plat.example.com');
  });

  it('refuses files it cannot serve, saying which and why', async () => {
    const other = await makeCertificate({ name: 'other', hostnames: ['other.example.com'] });
    const expired = await makeCertificate({
      name: 'old',
      hostnames: ['plat.example.com'],
      notBefore: new Date(Date.now() - 100 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const wrongKey = await makeCertificate({ name: 'plat', hostnames: ['plat.example.com'] });
    const cases: [{ chainFile: string; keyFile: string }, RegExp][] = [
      [files('other', other.pem, other.keyPem), /cannot be served: .*other\.example\.com/],
      [files('expired', expired.pem, expired.keyPem), /cannot be served: The certificate expired on/],
      [files('mismatch', wrongKey.pem, other.keyPem), /does not match the private key/],
      [{ chainFile: join(dir, 'missing.crt'), keyFile: join(dir, 'missing.key') }, /PLAT_API_CERT_FILE .* ENOENT/],
    ];
    for (const [given, why] of cases) expect(() => certificateFromFiles('plat.example.com', given)).toThrow(why);
  });

  it('stays on HTTP without a certificate, and says how to get one', async () => {
    const { domain, router, logged } = apiDomain({ source: 'none' });
    await domain.load();
    expect(router.apiCertificate).toBeUndefined();
    expect(domain.secured).toBe(false);
    expect(domain.orderedHostnames()).toEqual([]);
    expect(logged.join('\n')).toContain('PLAT_API_CERT_FILE');
    expect(apiDomain({ source: 'acme' }).domain.orderedHostnames()).toEqual(['plat.example.com']);
  });
});
