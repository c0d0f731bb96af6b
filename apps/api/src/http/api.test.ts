/**
 * The control API through fastify's inject(), on both state databases, with
 * real Docker and nginx behind it: every resource, auth failures, bad input.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_IMAGE } from '@plat/builder';
import { cutRelease } from '../services/releases.js';
import { configVars, findApp } from '../store/apps.js';
import { finishBuild, insertBuild } from '../store/builds.js';
import { backends } from '../testing/backends.js';
import { startTestPlatform, type TestPlatform } from '../testing/platform.js';

/** The request headers `/headers` answers with, as a Python list. */
const HEADERS = "['X-Forwarded-For','X-Forwarded-Proto','X-Forwarded-Port','X-Request-Id','Host']";
/** A web process the stack can run with no build: answers with its dyno name and a config var. */
const WEB = `python3 -c "import http.server,os,time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == '/slow': time.sleep(4)
        body=(os.environ['DYNO']+' '+os.environ.get('GREETING','none')).encode()
        if self.path == '/headers': body=' '.join(self.headers.get(h,'-') for h in ${HEADERS}).encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
    def log_message(self,*a): pass
http.server.ThreadingHTTPServer(('0.0.0.0',int(os.environ['PORT'])),H).serve_forever()"`;

function routerGet(port: number, host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, headers: { host, connection: 'close' }, timeout: 10_000 },
      (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe.each(backends)('the API on $name', (backend) => {
  let t: TestPlatform;
  let bobToken: string;

  const call = async (method: string, url: string, options: { token?: string | null; body?: unknown } = {}) => {
    const token = options.token === undefined ? t.adminToken : options.token;
    const response = await t.server.inject({
      method: method as 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
    });
    return {
      status: response.statusCode,
      body: response.body ? (JSON.parse(response.body) as any) : undefined,
      headers: response.headers,
    };
  };

  /** What a successful push leaves: a build and a running release. */
  const deployStack = async (name: string) => {
    const app = (await findApp(t.platform.sql, name))!;
    const build = await insertBuild(t.platform.sql, app.id, 'a'.repeat(40));
    await finishBuild(t.platform.sql, build.id, {
      status: 'succeeded',
      output: '-----> Python app detected',
      buildpack: 'python',
      image: STACK_IMAGE,
      processTypes: { web: WEB },
    });
    return t.platform.releases.run(name, async () =>
      cutRelease(t.platform, app, {
        description: 'Deploy aaaaaaa',
        image: STACK_IMAGE,
        processTypes: { web: WEB, worker: 'sleep infinity' },
        config: await configVars(t.platform.sql, app.id),
        buildId: build.id,
      }),
    );
  };

  beforeAll(async () => {
    t = await startTestPlatform(backend, { routerTimeoutSeconds: 2 });
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('auth', () => {
    it('answers 401 without a token or with a wrong one', async () => {
      for (const token of [null, 'plat_nope']) {
        const response = await call('GET', '/v1/apps', { token });
        expect(response.status).toBe(401);
        expect(response.body.id).toBe('unauthorized');
      }
    });

    it('lets an admin add users, and only an admin', async () => {
      const created = await call('POST', '/v1/users', { body: { email: 'Bob@Example.com' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ email: 'bob@example.com', admin: false });
      bobToken = created.body.token;
      expect((await call('GET', '/v1/account', { token: bobToken })).body).toEqual({
        user: 'bob@example.com',
        admin: false,
      });
      const denied = await call('POST', '/v1/users', { token: bobToken, body: { email: 'eve@example.com' } });
      expect(denied.status).toBe(403);
      expect(denied.body.id).toBe('forbidden');
      expect((await call('POST', '/v1/users', { body: { email: 'bob@example.com' } })).status).toBe(409);
      expect((await call('POST', '/v1/users', { body: { email: 'not-an-email' } })).body.id).toBe('invalid_params');
    });

    it('creates, lists and revokes tokens, showing a secret only once', async () => {
      const created = await call('POST', '/v1/account/tokens', { token: bobToken, body: { description: 'ci' } });
      expect(created.status).toBe(201);
      expect(created.body.token).toMatch(/^plat_/);
      const list = await call('GET', '/v1/account/tokens', { token: bobToken });
      expect(list.body.map((token: { description: string }) => token.description)).toEqual(['first token', 'ci']);
      expect(JSON.stringify(list.body)).not.toContain(created.body.token);
      expect((await call('GET', '/v1/account', { token: created.body.token })).status).toBe(200);
      expect((await call('DELETE', `/v1/account/tokens/${created.body.id}`, { token: bobToken })).status).toBe(204);
      expect((await call('GET', '/v1/account', { token: created.body.token })).status).toBe(401);
      expect((await call('DELETE', `/v1/account/tokens/${created.body.id}`, { token: bobToken })).status).toBe(404);
    });
  });

  describe('apps', () => {
    it('creates apps by name or with a generated name', async () => {
      const named = await call('POST', '/v1/apps', { body: { name: 'shop' } });
      expect(named.status).toBe(201);
      expect(named.body).toMatchObject({
        name: 'shop',
        owner: 'admin@plat.local',
        web_url: `http://shop.localhost:${t.settings.routerPort}/`,
      });
      const generated = await call('POST', '/v1/apps', { body: {} });
      expect(generated.body.name).toMatch(/^[a-z]+-[a-z]+-\d{4}$/);
      expect((await call('GET', '/v1/apps')).body.map((app: { name: string }) => app.name)).toContain('shop');
    });

    it('rejects bad names, taken names and unknown fields', async () => {
      for (const name of ['Shop', 'x', 's'.repeat(31), 'a b', '$(reboot)']) {
        const response = await call('POST', '/v1/apps', { body: { name } });
        expect(response.status).toBe(422);
        expect(response.body.id).toBe('invalid_params');
      }
      expect((await call('POST', '/v1/apps', { body: { name: 'shop' } })).body.id).toBe('conflict');
      expect((await call('POST', '/v1/apps', { body: { name: 'other', owner: 'x' } })).status).toBe(422);
      expect((await call('GET', '/v1/apps/nope')).body.id).toBe('not_found');
    });

    it('keeps other users out of an app until they collaborate on it', async () => {
      expect((await call('GET', '/v1/apps/shop', { token: bobToken })).body.id).toBe('forbidden');
      expect((await call('GET', '/v1/apps', { token: bobToken })).body).toEqual([]);
      const added = await call('POST', '/v1/apps/shop/collaborators', { body: { email: 'bob@example.com' } });
      expect(added.status).toBe(201);
      expect((await call('POST', '/v1/apps/shop/collaborators', { body: { email: 'bob@example.com' } })).body.id).toBe(
        'conflict',
      );
      expect(
        (await call('GET', '/v1/apps/shop/collaborators', { token: bobToken })).body.map(
          (c: { email: string }) => c.email,
        ),
      ).toEqual(['bob@example.com']);
      expect((await call('GET', '/v1/apps/shop', { token: bobToken })).status).toBe(200);
      // Collaborators use an app; only its owner or an admin renames, destroys or shares it.
      expect((await call('DELETE', '/v1/apps/shop?confirm=shop', { token: bobToken })).body.id).toBe('forbidden');
      expect(
        (await call('POST', '/v1/apps/shop/collaborators', { token: bobToken, body: { email: 'eve@example.com' } }))
          .body.id,
      ).toBe('forbidden');
      expect((await call('DELETE', '/v1/apps/shop/collaborators/bob@example.com')).status).toBe(204);
      expect((await call('GET', '/v1/apps/shop', { token: bobToken })).body.id).toBe('forbidden');
    });
  });

  describe('config vars, releases, formation and dynos', () => {
    it('starts at v1 "Initial release" and releases config before the first deploy, with no image', async () => {
      const set = await call('PATCH', '/v1/apps/shop/config-vars', {
        body: { GREETING: 'hello', SECRET_KEY: 'swordfish' },
      });
      expect(set.status).toBe(200);
      expect(set.body).toEqual({ GREETING: 'hello', SECRET_KEY: 'swordfish' });
      expect(set.headers['plat-release-version']).toBe('2');
      for (const body of [{ '1BAD': 'x' }, { PORT: '80' }, {}, { OK: { nested: true } }]) {
        expect((await call('PATCH', '/v1/apps/shop/config-vars', { body })).body.id).toBe('invalid_params');
      }
      // Heroku's: the release list is the whole history of the app's config; refused changes make none.
      expect((await call('GET', '/v1/apps/shop/releases')).body).toEqual([
        expect.objectContaining({ version: 2, description: 'Set GREETING, SECRET_KEY', image: null, current: true }),
        expect.objectContaining({ version: 1, description: 'Initial release', image: null, current: false }),
      ]);
      expect((await call('GET', '/v1/apps/shop/releases/v1')).body).toMatchObject({
        status: 'succeeded',
        image: null,
        process_types: {},
      });
      expect((await call('GET', '/v1/apps/shop/dynos')).body).toEqual([]);
      const rolled = await call('POST', '/v1/apps/shop/releases', { body: { release: 'v1' } });
      expect(rolled.body).toMatchObject({ id: 'invalid_params', message: expect.stringContaining('has no image') });
    });

    it('deploys, then makes a release for each config change and rolls it out', async () => {
      const first = await deployStack('shop');
      expect(first.version).toBe(3);
      expect((await routerGet(t.settings.routerPort, 'shop.localhost')).body).toBe('web.1 hello');
      const changed = await call('PATCH', '/v1/apps/shop/config-vars', {
        body: { GREETING: 'bonjour', SECRET_KEY: null },
      });
      expect(changed.body).toEqual({ GREETING: 'bonjour' });
      expect(changed.headers['plat-release-version']).toBe('4');
      const releases = (await call('GET', '/v1/apps/shop/releases')).body;
      expect(
        releases.map((r: { version: number; description: string; current: boolean }) => [
          r.version,
          r.description,
          r.current,
        ]),
      ).toEqual([
        [4, 'Set GREETING; Unset SECRET_KEY', true],
        [3, 'Deploy aaaaaaa', false],
        [2, 'Set GREETING, SECRET_KEY', false],
        [1, 'Initial release', false],
      ]);
      expect((await routerGet(t.settings.routerPort, 'shop.localhost')).body).toBe('web.1 bonjour');
    });

    it('forwards client headers and answers H12 when a dyno is too slow', async () => {
      const headers = (await routerGet(t.settings.routerPort, 'shop.localhost', '/headers')).body.split(' ');
      expect(headers[0]).toBe('127.0.0.1');
      expect(headers[1]).toBe('http');
      expect(headers[2]).toBe(String(t.settings.routerPort));
      expect(headers[3]).toMatch(/^[0-9a-f]{32}$/);
      expect(headers[4]).toBe('shop.localhost');
      const slow = await routerGet(t.settings.routerPort, 'shop.localhost', '/slow');
      expect(slow.status).toBe(503);
      expect(slow.body).toContain('H12: request timeout: shop did not answer within 2 s');
    });

    it('gives concurrent config changes distinct, ordered versions', async () => {
      const changes = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          call('PATCH', '/v1/apps/shop/config-vars', { body: { [`N${i}`]: String(i) } }),
        ),
      );
      expect(changes.map((c) => c.status)).toEqual([200, 200, 200, 200]);
      const versions = (await call('GET', '/v1/apps/shop/releases')).body.map((r: { version: number }) => r.version);
      expect(versions).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    });

    it('rolls back to a release: its image and its config, as a new release', async () => {
      const rolled = await call('POST', '/v1/apps/shop/releases', { body: { release: 'v3' } });
      expect(rolled.status).toBe(201);
      expect(rolled.body).toMatchObject({
        version: 9,
        description: 'Rollback to v3',
        current: true,
        status: 'succeeded',
      });
      expect((await call('GET', '/v1/apps/shop/config-vars')).body).toEqual({
        GREETING: 'hello',
        SECRET_KEY: 'swordfish',
      });
      expect((await routerGet(t.settings.routerPort, 'shop.localhost')).body).toBe('web.1 hello');
      expect((await call('GET', '/v1/apps/shop/releases/9')).body.description).toBe('Rollback to v3');
      expect((await call('POST', '/v1/apps/shop/releases', { body: { release: 99 } })).body.id).toBe('not_found');
    });

    it('lists builds with their output', async () => {
      const builds = (await call('GET', '/v1/apps/shop/builds')).body;
      expect(builds).toHaveLength(1);
      expect(builds[0]).toMatchObject({ status: 'succeeded', buildpack: 'python', source_commit: 'a'.repeat(40) });
      expect(builds[0].output).toBeUndefined();
      expect((await call('GET', `/v1/apps/shop/builds/${builds[0].id}`)).body.output).toContain('Python app detected');
      expect((await call('GET', '/v1/apps/shop/builds/nope')).status).toBe(404);
    });

    it('scales in one batch and lists dynos', async () => {
      const scaled = await call('PATCH', '/v1/apps/shop/formation', {
        body: [
          { type: 'web', quantity: 2, size: 'basic' },
          { type: 'worker', quantity: 1 },
        ],
      });
      expect(scaled.status).toBe(200);
      expect(scaled.body).toEqual([
        { type: 'web', quantity: 2, size: 'basic', command: expect.stringContaining('http.server') },
        { type: 'worker', quantity: 1, size: 'standard', command: 'sleep infinity' },
      ]);
      const dynos = (await call('GET', '/v1/apps/shop/dynos')).body;
      expect(dynos.map((d: { name: string; state: string }) => `${d.name}:${d.state}`)).toEqual([
        'web.1:up',
        'web.2:up',
        'worker.1:up',
      ]);
      const seen = new Set<string>();
      for (let i = 0; i < 12 && seen.size < 2; i += 1)
        seen.add((await routerGet(t.settings.routerPort, 'shop.localhost')).body);
      expect([...seen].sort()).toEqual(['web.1 hello', 'web.2 hello']);
      expect(
        (await call('PATCH', '/v1/apps/shop/formation', { body: { updates: [{ type: 'clock', quantity: 1 }] } })).body
          .id,
      ).toBe('not_found');
      expect((await call('PATCH', '/v1/apps/shop/formation', { body: [{ type: 'web', size: 'huge' }] })).body.id).toBe(
        'invalid_params',
      );
      expect((await call('PATCH', '/v1/apps/shop/formation', { body: [{ type: 'web', quantity: -1 }] })).body.id).toBe(
        'invalid_params',
      );
    });

    it('restarts all dynos, a type, or one dyno, and stops one', async () => {
      const before = (await call('GET', '/v1/apps/shop/dynos')).body;
      expect((await call('DELETE', '/v1/apps/shop/dynos/web.2')).status).toBe(202);
      const afterOne = (await call('GET', '/v1/apps/shop/dynos')).body;
      const created = (list: { name: string; id: string }[], name: string) => list.find((d) => d.name === name)!.id;
      expect(created(afterOne, 'web.1')).toBe(created(before, 'web.1'));
      expect(created(afterOne, 'web.2')).not.toBe(created(before, 'web.2'));
      expect((await call('DELETE', '/v1/apps/shop/dynos/worker')).status).toBe(202);
      expect((await call('DELETE', '/v1/apps/shop/dynos')).status).toBe(202);
      const afterAll = (await call('GET', '/v1/apps/shop/dynos')).body;
      expect(afterAll.map((d: { name: string }) => d.name)).toEqual(['web.1', 'web.2', 'worker.1']);
      expect(created(afterAll, 'web.1')).not.toBe(created(before, 'web.1'));
      expect((await call('POST', '/v1/apps/shop/dynos/worker.1/actions/stop')).status).toBe(202);
      expect((await call('DELETE', '/v1/apps/shop/dynos/web.9')).body.id).toBe('not_found');
      expect((await routerGet(t.settings.routerPort, 'shop.localhost')).status).toBe(200);
    });
  });

  describe('domains', () => {
    it('routes custom domains, one app per hostname', async () => {
      const added = await call('POST', '/v1/apps/shop/domains', { body: { hostname: 'WWW.Shop.Example' } });
      expect(added.status).toBe(201);
      expect(added.body.hostname).toBe('www.shop.example');
      expect((await routerGet(t.settings.routerPort, 'www.shop.example')).status).toBe(200);
      await call('POST', '/v1/apps', { body: { name: 'rival' } });
      expect((await call('POST', '/v1/apps/rival/domains', { body: { hostname: 'www.shop.example' } })).body.id).toBe(
        'conflict',
      );
      for (const hostname of [
        'no_underscores.example',
        'localhost',
        '-bad.example',
        'x.localhost',
        'a..b',
        '1.2.3.4',
      ]) {
        expect((await call('POST', '/v1/apps/rival/domains', { body: { hostname } })).body.id).toBe('invalid_params');
      }
      expect((await call('GET', '/v1/apps/shop/domains')).body.map((d: { hostname: string }) => d.hostname)).toEqual([
        'www.shop.example',
      ]);
      expect((await call('DELETE', '/v1/apps/shop/domains/www.shop.example')).status).toBe(204);
      expect((await routerGet(t.settings.routerPort, 'www.shop.example')).status).toBe(404);
      expect((await call('DELETE', '/v1/apps/shop/domains/www.shop.example')).status).toBe(404);
    });
  });

  describe('audit, rename, destroy', () => {
    it('records who did what, with config values masked', async () => {
      const events = (await call('GET', '/v1/apps/shop/audit-events?limit=500')).body;
      const actions = events.map((e: { action: string }) => e.action);
      for (const action of [
        'app.create',
        'config.update',
        'release.rollback',
        'formation.update',
        'dynos.restart',
        'domain.add',
        'domain.remove',
        'collaborator.add',
      ]) {
        expect(actions).toContain(action);
      }
      expect(events.every((e: { actor: string }) => e.actor === 'admin@plat.local')).toBe(true);
      expect(JSON.stringify(events)).not.toContain('swordfish');
      expect(JSON.stringify(events)).toContain('"SECRET_KEY":"[masked]"');
    });

    it('renames an app and moves its dynos and routes', async () => {
      const renamed = await call('PATCH', '/v1/apps/shop', { body: { name: 'store' } });
      expect(renamed.status).toBe(200);
      expect(renamed.body.name).toBe('store');
      expect((await call('GET', '/v1/apps/shop')).status).toBe(404);
      expect((await routerGet(t.settings.routerPort, 'store.localhost')).body).toMatch(/^web\.\d hello$/);
      expect((await routerGet(t.settings.routerPort, 'shop.localhost')).status).toBe(404);
      expect((await call('PATCH', '/v1/apps/store', { body: { name: 'rival' } })).body.id).toBe('conflict');
      expect((await call('PATCH', '/v1/apps/store', { body: {} })).body.id).toBe('invalid_params');
    });

    it('destroys an app only with its name as confirmation', async () => {
      expect((await call('DELETE', '/v1/apps/store')).body.id).toBe('invalid_params');
      expect((await call('DELETE', '/v1/apps/store?confirm=shop')).body.id).toBe('invalid_params');
      expect((await call('GET', '/v1/apps/store/dynos')).body).toHaveLength(3);
      expect((await call('DELETE', '/v1/apps/store?confirm=store')).status).toBe(204);
      expect((await call('GET', '/v1/apps/store')).status).toBe(404);
      expect(await t.platform.controller.dynos('store')).toEqual([]);
      expect((await routerGet(t.settings.routerPort, 'store.localhost')).status).toBe(404);
    });
  });

  it('serves an OpenAPI document made from the same schemas', async () => {
    const response = await t.server.inject({ method: 'GET', url: '/v1/openapi.json' });
    const doc = JSON.parse(response.body);
    expect(doc.openapi).toMatch(/^3\./);
    for (const path of [
      '/v1/apps',
      '/v1/apps/{app}',
      '/v1/apps/{app}/config-vars',
      '/v1/apps/{app}/releases',
      '/v1/apps/{app}/formation',
      '/v1/apps/{app}/dynos',
      '/v1/apps/{app}/domains',
      '/v1/apps/{app}/collaborators',
      '/v1/account/tokens',
      '/v1/apps/{app}/audit-events',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.info.description).toContain('`rate_limited` (429)');
    const configPatch = doc.paths['/v1/apps/{app}/config-vars'].patch.responses['200'];
    expect(configPatch.headers['Plat-Release-Version'].schema).toMatchObject({ type: 'integer' });
    // The attach upgrades never reach a route, yet are documented: path, query, the Upgrade header, frames.
    for (const path of ['/v1/apps/{app}/dynos/attach', '/v1/apps/{app}/pg/psql']) {
      const attach = doc.paths[path].get;
      expect(attach.responses['101'].description).toContain('plat-attach');
      expect(attach.parameters).toContainEqual(
        expect.objectContaining({ in: 'header', name: 'Upgrade', required: true }),
      );
      expect(attach.description).toMatch(/1 stdout, 2 stderr, 3 exit .*4 error/);
      const ref: string = attach.responses['429'].content['application/json'].schema.$ref;
      expect(doc.components.schemas[ref.replace('#/components/schemas/', '')].title).toBe('Error');
    }
    expect(doc.paths['/v1/apps/{app}/dynos/attach'].get.parameters).toContainEqual(
      expect.objectContaining({ in: 'query', name: 'command', required: true }),
    );
  });
});

describe('rate limiting', () => {
  it('answers rate_limited past the per-user limit, counting requests refused for their app', async () => {
    const t = await startTestPlatform(backends[0]!, { rateLimitPerMinute: 3 });
    try {
      const statuses = [];
      for (const url of ['/v1/apps', '/v1/apps/nope/releases', '/v1/apps', '/v1/apps/nope/releases']) {
        const response = await t.server.inject({
          method: 'GET',
          url,
          headers: { authorization: `Bearer ${t.adminToken}` },
        });
        statuses.push(response.statusCode);
        if (response.statusCode === 429) expect(JSON.parse(response.body).id).toBe('rate_limited');
      }
      expect(statuses).toEqual([200, 404, 200, 429]);
    } finally {
      await t.close();
    }
  });
});
