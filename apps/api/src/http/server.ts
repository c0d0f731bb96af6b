import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { catalogue } from '@plat/core';
import { authenticate } from '../auth/access.js';
import type { Platform } from '../platform.js';
import type { User } from '../store/users.js';
import { installAttach } from './attach.js';
import { installErrorHandler } from './error-handler.js';
import { accessRoutes } from './routes/access.js';
import { addonRoutes } from './routes/addons.js';
import { accountRoutes } from './routes/account.js';
import { appRoutes } from './routes/apps.js';
import { configVarRoutes } from './routes/config-vars.js';
import { domainRoutes } from './routes/domains.js';
import { formationRoutes } from './routes/formation.js';
import { gitRoutes } from './routes/git.js';
import { logRoutes } from './routes/logs.js';
import { pushRoutes } from './routes/pushes.js';
import { pgRoutes } from './routes/pg.js';
import { releaseRoutes } from './routes/releases.js';
import { schedulerRoutes } from './routes/scheduler.js';
import { statusRoutes } from './routes/status.js';
import { ErrorBody } from './schemas.js';

declare module 'fastify' {
  interface FastifyRequest {
    user?: User;
  }
}

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
}

const ERROR_DOC = Object.entries(catalogue)
  .map(([id, entry]) => `- \`${id}\` (${entry.status}): ${entry.message}`)
  .join('\n');

export async function buildServer(platform: Platform): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // Reject what the schemas do not allow instead of silently dropping it.
    // and never coerce types: a null must stay null (it unsets a config var).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  installErrorHandler(app, platform.log);
  app.decorateRequest('user', undefined);
  app.addSchema(ErrorBody);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Plat API',
        version: '1',
        description: `Heroku-style platform API. Authenticate with \`Authorization: Bearer <token>\`.\n\nErrors are \`{ "id", "message" }\`; the ids:\n${ERROR_DOC}`,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // The API: every route needs a valid bearer token.
  await app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      request.user = await authenticate(platform.sql, bearer(request.headers.authorization));
    });
    if (platform.settings.rateLimitPerMinute > 0) {
      await api.register(rateLimit, {
        max: platform.settings.rateLimitPerMinute,
        timeWindow: 60_000,
        hook: 'preHandler',
        keyGenerator: (request) => request.user?.id ?? createHash('sha256').update(request.ip).digest('hex'),
        errorResponseBuilder: (_request, context) => ({
          statusCode: 429,
          id: 'rate_limited',
          message: `Too many requests: the limit is ${context.max} a minute; retry in ${Math.ceil(context.ttl / 1000)} s.`,
        }),
      });
    }
    for (const routes of [statusRoutes, accountRoutes, appRoutes, configVarRoutes, releaseRoutes, formationRoutes, domainRoutes, accessRoutes, logRoutes, addonRoutes, schedulerRoutes, pgRoutes]) {
      await api.register(routes, { platform });
    }
  });
  installAttach(app, platform);
  await app.register(gitRoutes, { platform });
  await app.register(pushRoutes, { platform });
  return app;
}
