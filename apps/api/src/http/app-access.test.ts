/**
 * Every route with `:app` resolves the app before its handler, with the
 * access rules: a missing app is not_found, an app the user may not use is
 * forbidden, and owner-only routes refuse collaborators. The routes come
 * from the OpenAPI document, so a new route is checked as soon as it exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { startTestPlatform, type TestPlatform } from '../testing/platform.js';

/** A valid body for each route that takes one: validation comes before the app is resolved. */
const BODIES: Record<string, unknown> = {
  'PATCH /v1/apps/{app}': { maintenance: true },
  'PATCH /v1/apps/{app}/config-vars': { GREETING: 'hi' },
  'POST /v1/apps/{app}/releases': { release: 1 },
  'PATCH /v1/apps/{app}/formation': [{ type: 'web', quantity: 1 }],
  'POST /v1/apps/{app}/dynos': { command: 'ls' },
  'POST /v1/apps/{app}/domains': { hostname: 'www.example.com' },
  'POST /v1/apps/{app}/log-drains': { url: 'syslog+tls://logs.example.com:6514' },
  'POST /v1/apps/{app}/collaborators': { email: 'eve@example.com' },
  'POST /v1/apps/{app}/addons': { plan: 'postgres' },
  'POST /v1/apps/{app}/scheduler/jobs': { schedule: '0 * * * *', command: 'ls' },
  'POST /v1/apps/{app}/pg/backups': {},
  'POST /v1/apps/{app}/pg/backups/{backup}/actions/restore': { confirm: 'x' },
  'PUT /v1/apps/{app}/pg/backups/schedule': { hour: 3 },
  'POST /v1/apps/{app}/redis/backups': {},
  'POST /v1/apps/{app}/redis/backups/{backup}/actions/restore': { confirm: 'x' },
  'POST /v1/apps/{app}/certs': { certificate_chain: 'x', private_key: 'x' },
  'POST /v1/apps/{app}/webhooks': { url: 'https://hooks.example.com/plat', include: ['api:release'] },
  'PATCH /v1/apps/{app}/webhooks/{id}': { include: ['alert'] },
  'POST /v1/apps/{app}/pipeline/promotions': {},
  'PATCH /v1/apps/{app}/features/{feature}': { enabled: true },
};
/** Values for the other path parameters; any other is `x1`. */
const SAMPLES: Record<string, string> = {
  dyno: 'web',
  hostname: 'www.example.com',
  email: 'eve@example.com',
  backup: 'b001',
  id: '00000000-0000-4000-8000-000000000000',
  feature: 'heroku-metadata',
};
const OWNER_ONLY = [
  'DELETE /v1/apps/{app}',
  'POST /v1/apps/{app}/collaborators',
  'DELETE /v1/apps/{app}/collaborators/{email}',
];

describe('the :app of every app route', () => {
  let t: TestPlatform;
  let bob: string;
  let routes: { key: string; method: string; url: (app: string) => string; body?: unknown }[];

  const call = async (method: string, url: string, options: { token: string; body?: unknown }) => {
    const response = await t.server.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${options.token}` },
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
    });
    return { status: response.statusCode, body: JSON.parse(response.body) as { id: string; message: string } };
  };

  beforeAll(async () => {
    t = await startTestPlatform(backends[0]!);
    const created = await call('POST', '/v1/users', { token: t.adminToken, body: { email: 'bob@example.com' } });
    bob = (created.body as unknown as { token: string }).token;
    expect((await call('POST', '/v1/apps', { token: t.adminToken, body: { name: 'admins-app' } })).status).toBe(201);
    const doc = JSON.parse((await t.server.inject({ method: 'GET', url: '/v1/openapi.json' })).body) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/apps/{app}'))
      .flatMap(([path, operations]) =>
        Object.entries(operations)
          // The attach upgrades are documented here but never reach a route.
          .filter(([, operation]) => !('101' in operation.responses))
          .map(([method]) => {
            const key = `${method.toUpperCase()} ${path}`;
            const url = (app: string) =>
              path.replace('{app}', app).replace(/\{(\w+)\}/g, (_match, name: string) => SAMPLES[name] ?? 'x1');
            return { key, method: method.toUpperCase(), url, ...(key in BODIES ? { body: BODIES[key] } : {}) };
          }),
      );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('covers the app routes', () => {
    expect(routes.length).toBeGreaterThan(30);
    for (const key of [...Object.keys(BODIES), ...OWNER_ONLY]) expect(routes.map((route) => route.key)).toContain(key);
  });

  it('answers not_found for an app that does not exist, on every route', async () => {
    for (const route of routes) {
      const response = await call(route.method, route.url('no-such-app'), { token: bob, body: route.body });
      expect({ route: route.key, ...response }).toEqual({
        route: route.key,
        status: 404,
        body: { id: 'not_found', message: "Couldn't find that app: no-such-app" },
      });
    }
  });

  it('answers forbidden for an app the user may not use, and keeps owner-only routes from collaborators', async () => {
    const ownerOnly = 'Only the owner of admins-app (or an admin) may do that.';
    for (const route of routes) {
      const response = await call(route.method, route.url('admins-app'), { token: bob, body: route.body });
      const message = OWNER_ONLY.includes(route.key) ? ownerOnly : 'You do not have access to the app admins-app.';
      const expected = { route: route.key, status: 403, body: { id: 'forbidden', message } };
      expect({ route: route.key, ...response }).toEqual(expected);
    }

    const shared = await call('POST', '/v1/apps/admins-app/collaborators', {
      token: t.adminToken,
      body: { email: 'bob@example.com' },
    });
    expect(shared.status).toBe(201);
    for (const key of OWNER_ONLY) {
      const route = routes.find((candidate) => candidate.key === key)!;
      const refused = await call(route.method, route.url('admins-app'), { token: bob, body: route.body });
      expect({ route: key, ...refused.body }).toEqual({ route: key, id: 'forbidden', message: ownerOnly });
    }
    // A collaborator switches maintenance, but only the owner renames.
    expect((await call('PATCH', '/v1/apps/admins-app', { token: bob, body: { maintenance: true } })).status).toBe(200);
    const rename = await call('PATCH', '/v1/apps/admins-app', { token: bob, body: { name: 'bobs-now' } });
    expect(rename.body).toEqual({ id: 'forbidden', message: ownerOnly });
  });
});
