import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { catalogue, ErrorBodySchema } from '@plat/core';
import { authenticateClient } from '../auth/access.js';
import { FailedAuthLimit } from '../auth/failed-auth-limit.js';
import type { Platform } from '../platform.js';
import type { User } from '../store/users.js';
import { resolveAppParam } from './app-access.js';
import { installAttach } from './attach.js';
import { installDashboard } from './dashboard.js';
import { withAttachPaths } from './attach-openapi.js';
import { installErrorHandler } from './error-handler.js';
import { accessRoutes } from './routes/access.js';
import { adminDiskRoutes } from './routes/admin-disk.js';
import { adminStateRoutes } from './routes/admin-state.js';
import { backupTargetRoutes } from './routes/backup-target.js';
import { adminExportRoutes } from './routes/admin-export.js';
import { addonRoutes } from './routes/addons.js';
import { accountRoutes } from './routes/account.js';
import { appRoutes } from './routes/apps.js';
import { appSetupRoutes } from './routes/app-setups.js';
import { certRoutes } from './routes/certs.js';
import { configVarRoutes } from './routes/config-vars.js';
import { domainRoutes } from './routes/domains.js';
import { drainRoutes } from './routes/drains.js';
import { formationRoutes } from './routes/formation.js';
import { gitRoutes } from './routes/git.js';
import { keyRoutes } from './routes/keys.js';
import { logRoutes } from './routes/logs.js';
import { eventRoutes } from './routes/events.js';
import { metricsRoutes } from './routes/metrics.js';
import { nodeRoutes } from './routes/nodes.js';
import { pushRoutes } from './routes/pushes.js';
import { pgRoutes } from './routes/pg.js';
import { redisRoutes } from './routes/redis.js';
import { pipelineRoutes } from './routes/pipelines.js';
import { promotionRoutes } from './routes/promotions.js';
import { releaseRoutes } from './routes/releases.js';
import { reviewAppRoutes } from './routes/review-apps.js';
import { schedulerRoutes } from './routes/scheduler.js';
import { statusRoutes } from './routes/status.js';
import { userRoutes } from './routes/users.js';
import { alertRoutes } from './routes/alerts.js';
import { webhookRoutes } from './routes/webhooks.js';
import { UserRateLimit } from './user-rate-limit.js';

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
  // The type provider is types only: handlers see params, body and query as their schemas' static types.
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // Behind the router's API domain every request comes from loopback: the
    // client's address (for the failed sign-in limit) is the one nginx forwards.
    ...(platform.settings.apiDomain ? { trustProxy: 'loopback' } : {}),
    // Reject what the schemas do not allow instead of silently dropping it.
    // and never coerce types: a null must stay null (it unsets a config var).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandler(app, platform.log);
  // Shared by the API, attach upgrades and git: one budget per address, one per user.
  const failedAuth = new FailedAuthLimit();
  const userRate = new UserRateLimit(platform.settings.rateLimitPerMinute);
  app.decorateRequest('user', undefined);
  app.addSchema(ErrorBodySchema);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Plat API',
        version: '1',
        description:
          'Heroku-style platform API. Authenticate with `Authorization: Bearer <token>`.\n\n' +
          `Errors are \`{ "id", "message" }\`; the ids:\n${ERROR_DOC}`,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transformObject: (document) =>
      'openapiObject' in document ? withAttachPaths(document.openapiObject) : document.swaggerObject,
  });
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // The API: every route needs a valid bearer token.
  await app.register(async (api) => {
    api.addHook('onRequest', async (request) => {
      const token = bearer(request.headers.authorization);
      request.user = await authenticateClient(platform.sql, failedAuth, { token, address: request.ip });
    });
    if (platform.settings.rateLimitPerMinute > 0) {
      await api.register(rateLimit, {
        max: platform.settings.rateLimitPerMinute,
        timeWindow: 60_000,
        hook: 'preHandler',
        store: userRate.store(),
        keyGenerator: (request) => request.user?.id ?? createHash('sha256').update(request.ip).digest('hex'),
        errorResponseBuilder: (_request, context) => ({
          statusCode: 429,
          id: 'rate_limited',
          message: UserRateLimit.message(context.max, context.ttl),
        }),
      });
    }
    // After the rate limit: a request refused for its app still counts.
    resolveAppParam(api, platform);
    const resources = [
      statusRoutes,
      accountRoutes,
      keyRoutes,
      userRoutes,
      appRoutes,
      configVarRoutes,
      releaseRoutes,
      formationRoutes,
      domainRoutes,
      certRoutes,
      accessRoutes,
      logRoutes,
      metricsRoutes,
      eventRoutes,
      drainRoutes,
      addonRoutes,
      schedulerRoutes,
      pgRoutes,
      redisRoutes,
      pipelineRoutes,
      promotionRoutes,
      reviewAppRoutes,
      appSetupRoutes,
      adminDiskRoutes,
      adminStateRoutes,
      backupTargetRoutes,
      adminExportRoutes,
      nodeRoutes,
      webhookRoutes,
      alertRoutes,
    ];
    for (const routes of resources) {
      await api.register(routes, { platform });
    }
  });
  installAttach(app, platform, { failedAuth, userRate });
  await app.register(gitRoutes, { platform, failedAuth });
  await app.register(pushRoutes, { platform });
  await installDashboard(app);
  return app;
}
