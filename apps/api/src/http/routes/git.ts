import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { gitReceiver } from '@plat/builder';
import { appForUser, authenticate } from '../../auth/access.js';
import type { FailedAuthLimit } from '../../auth/failed-auth-limit.js';
import type { Platform } from '../../platform.js';

/** Where the git hook, on this host, reaches platd's API: the address it listens on. */
export function hookHost(apiHost: string): string {
  if (apiHost === '0.0.0.0' || apiHost === '') return '127.0.0.1';
  if (apiHost === '::') return '[::1]';
  return apiHost.includes(':') ? `[${apiHost}]` : apiHost;
}

/** `git push` and `git clone` of app repositories, authorised like the API. */
export const gitRoutes: FastifyPluginAsync<{ platform: Platform; failedAuth: FailedAuthLimit }> = async (
  app,
  { platform, failedAuth },
) => {
  // As on the API: an address that failed too often is refused before its
  // token reaches the database, and each credential refused counts.
  const credentials = (request: FastifyRequest) => request.headers.authorization?.startsWith('Basic ') === true;
  app.addHook('onRequest', async (request, reply) => {
    if (!credentials(request)) return;
    try {
      failedAuth.check(request.ip);
    } catch (error) {
      return reply
        .code(429)
        .type('text/plain; charset=utf-8')
        .send(`${(error as Error).message}\n`);
    }
  });
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 401 && credentials(request)) failedAuth.failed(request.ip);
  });
  const hookBase = `http://${hookHost(platform.settings.apiHost)}:${platform.settings.apiPort}`;
  await gitReceiver(app, {
    reposDir: platform.reposDir,
    authorize: async (name, token) => {
      const user = await authenticate(platform.sql, token);
      await appForUser(platform.sql, user, name);
    },
    maxPushBytes: platform.settings.maxSourceBytes,
    pushes: platform.pushes,
    hookEnv: (name) => ({
      PLAT_HOOK_URL: `${hookBase}/internal/apps/${name}/pushes`,
      PLAT_HOOK_SECRET: platform.hookSecret,
    }),
  });
};
