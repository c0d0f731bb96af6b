import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, installDashboard } from './dashboard.js';
import { installErrorHandler } from './error-handler.js';

let dir: string;
let app: FastifyInstance;
const JS = 'assets/dashboard-0123456789ab.js';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dashboard-'));
  mkdirSync(join(dir, 'assets'));
  const html = `<!doctype html><script type="module" src="/${JS}"></script>`;
  const js = 'console.log("dashboard");'.repeat(50);
  for (const [name, text] of [
    ['index.html', html],
    [JS, js],
  ] as const) {
    writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, `${name}.gz`), gzipSync(text));
  }
  app = Fastify();
  installErrorHandler(app, () => {});
  app.get('/v1/status', async () => ({ ok: true }));
  expect(await installDashboard(app, dir)).toBe(true);
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the dashboard on /', () => {
  it('serves index.html with a strict CSP, nosniff and no-cache', async () => {
    const response = await app.inject({ url: '/', headers: { accept: 'text/html' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(DASHBOARD_CSP).toContain("frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toContain(JS);
  });

  it('serves hashed assets gzipped when asked, cached for a year', async () => {
    const gz = await app.inject({ url: `/${JS}`, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.statusCode).toBe(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers['content-type']).toContain('javascript');
    expect(gz.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const plain = await app.inject({ url: `/${JS}` });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toContain('console.log');
  });

  it('answers a page path with the page for a browser, and the API 404 for anyone else', async () => {
    const browser = await app.inject({ url: '/apps/hello/logs', headers: { accept: 'text/html,*/*' } });
    expect(browser.statusCode).toBe(200);
    expect(browser.body).toContain('<!doctype html>');
    const api = await app.inject({ url: '/apps/hello', headers: { accept: 'application/json' } });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toEqual({ id: 'not_found', message: 'No such route: GET /apps/hello' });
  });

  it('leaves every other path as it was: API routes, and the 404 for unknown ones', async () => {
    expect((await app.inject({ url: '/v1/status' })).json()).toEqual({ ok: true });
    const unknown = await app.inject({ url: '/nothing-here', headers: { accept: 'text/html' } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().id).toBe('not_found');
    expect((await app.inject({ url: '/v1/nope' })).statusCode).toBe(404);
    // Only the build's files are routes: no path climbs out of the dist folder.
    expect((await app.inject({ url: '/assets/%2e%2e/%2e%2e/package.json' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/' })).statusCode).toBe(404);
  });

  it('serves nothing without a build', async () => {
    const bare = Fastify();
    expect(await installDashboard(bare, join(dir, 'missing'))).toBe(false);
    expect((await bare.inject({ url: '/' })).statusCode).toBe(404);
    await bare.close();
  });
});
