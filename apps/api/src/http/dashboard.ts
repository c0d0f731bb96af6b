import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `npm run build` writes the dashboard (apps/dashboard/build.mjs), from apps/api/dist/http. */
export const DASHBOARD_DIST = resolve(import.meta.dirname, '../../../dashboard/dist');

/**
 * Scripts, styles and API calls from this origin only, nothing inline, no
 * framing: a value from the API that slips into the page cannot run.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The page's own paths (apps/dashboard/src/router.ts): a browser reloading one gets the page. */
const PAGE_PATHS = ['/apps', '/apps/*'];

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', DASHBOARD_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
}

/**
 * The dashboard at `/`: static files, no token needed (the page holds no
 * secret; every API call carries the user's own). Hashed assets are cached
 * for a year, index.html revalidated every time; gzip comes precompressed
 * from the build. Only files the build wrote are routes, so any other path
 * answers the API's 404 as before; a page path answers index.html only to a
 * browser (Accept: text/html). Without a build (API-only tests) nothing is
 * served.
 */
export async function installDashboard(app: FastifyInstance, root = DASHBOARD_DIST): Promise<boolean> {
  if (!existsSync(join(root, 'index.html'))) return false;
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (_request, reply) => securityHeaders(reply));
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      globIgnore: ['**/*.gz'],
      preCompressed: true,
      cacheControl: false,
      setHeaders: (reply, path) => {
        const hashed = /\/assets\/dashboard-[0-9a-f]{12}\.(js|css)(\.gz)?$/.test(path);
        reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
    const page = async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.headers.accept?.includes('text/html')) return reply.callNotFound();
      return reply.sendFile('index.html');
    };
    for (const path of PAGE_PATHS) scope.get(path, { schema: { hide: true } }, page);
  });
  return true;
}
