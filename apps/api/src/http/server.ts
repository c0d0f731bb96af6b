import Fastify, { type FastifyInstance } from 'fastify';
import { authenticate } from '../auth/access.js';
import type { Platform } from '../platform.js';
import type { User } from '../store/users.js';
import { installErrorHandler } from './error-handler.js';
import { accountRoutes } from './routes/account.js';
import { appRoutes } from './routes/apps.js';
import { gitRoutes } from './routes/git.js';
import { pushRoutes } from './routes/pushes.js';

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
  }
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

export async function buildServer(platform: Platform): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  installErrorHandler(app, platform.log);
  app.decorateRequest('user', undefined);

  // The API: every route needs a valid bearer token.
  await app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      request.user = await authenticate(platform.sql, bearer(request.headers.authorization));
    });
    await api.register(accountRoutes);
    await api.register(appRoutes, { platform });
  });
  await app.register(gitRoutes, { platform });
  await app.register(pushRoutes, { platform });
  return app;
}
