import type { FastifyInstance, FastifyRequest } from 'fastify';
import { appForUser, type AppRole } from '../auth/access.js';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The app named by the route's `:app`, resolved for `user` before the handler runs. */
    readonly appRow: AppRow;
  }
  interface FastifyContextConfig {
    /** Who may use the route's `:app`: its collaborators (the default), or only its owner and admins. */
    access?: AppRole | ((request: FastifyRequest) => AppRole);
    /** Reaches an app whose destroy was cut short: only apps:destroy, which finishes it, may. */
    whileDestroying?: boolean;
  }
}

const APP_PARAM = /\/:app(\/|$)/;

/**
 * Resolves `:app` once per request on every API route that has it, with the
 * access rules of appForUser: a missing app is not_found, an app the user
 * may not use (or only its owner may, for this route) is forbidden.
 * Call after the rate limit is registered: route hooks run in the order
 * onRoute adds them, and a request refused here must still count.
 */
export function resolveAppParam(api: FastifyInstance, platform: Platform): void {
  const resolved = new WeakMap<FastifyRequest, AppRow>();
  api.decorateRequest('appRow', {
    getter(this: FastifyRequest): AppRow {
      const row = resolved.get(this);
      if (!row) throw new Error(`${this.routeOptions.url ?? this.url} has no :app: request.appRow is not resolved`);
      return row;
    },
  });
  api.addHook('onRoute', (route) => {
    if (!APP_PARAM.test(route.url)) return;
    const { access = 'collaborator', whileDestroying = false } = route.config ?? {};
    const resolve = async (request: FastifyRequest) => {
      const role = typeof access === 'function' ? access(request) : access;
      const { app } = request.params as { app: string };
      // platform.sql is read per request: tests swap it to count queries.
      resolved.set(request, await appForUser(platform.sql, request.user!, app, role, { destroying: whileDestroying }));
    };
    route.preHandler = [...[route.preHandler ?? []].flat(), resolve];
  });
}
