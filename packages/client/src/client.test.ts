import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATTACH_PROTOCOL, PlatError } from '@plat/core';
import { AttachClient } from './attach.js';
import { PlatClient } from './index.js';
import { nodeSender } from './node-sender.js';
import { type JsonSender, movedApiUrl, unreachable } from './transport.js';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** A stand-in platd: records each request and answers with what `answer` says. */
type Answer = (request: IncomingMessage, response: ServerResponse) => void;
const empty: Answer = (_request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
let answer = empty;
const seen: Seen[] = [];
let server: Server;
let apiUrl: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      seen.push({ method: request.method!, url: request.url!, authorization: request.headers.authorization, body });
      answer(request, response);
    });
  });
  // Upgrades every attach request, except for an app named "other", which it refuses as platd does.
  server.on('upgrade', (request: IncomingMessage, socket) => {
    seen.push({ method: 'UPGRADE', url: request.url!, authorization: request.headers.authorization, body: '' });
    if (request.url!.startsWith('/v1/apps/other/')) {
      const body = '{"id":"forbidden","message":"Not yours"}';
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`);
    } else {
      socket.end(`HTTP/1.1 101 Switching Protocols\r\nupgrade: ${ATTACH_PROTOCOL}\r\nconnection: Upgrade\r\n\r\nhello`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  answer = empty;
});

/** The client as the dashboard makes it (fetch), or as the CLI does (node:http). */
let send: JsonSender | undefined;
const client = () => new PlatClient({ apiUrl, token: 'plat_t', ...(send ? { send } : {}) });

/** Every route with a call that reaches it: `METHOD /template`, the call, and the body it must send (if any). */
const calls: [string, (c: PlatClient) => Promise<unknown>, unknown?][] = [
  ['GET /v1/status', (c) => c.status()],
  ['GET /v1/openapi.json', (c) => c.openapi()],
  ['GET /v1/account', (c) => c.account.get()],
  ['GET /v1/account/tokens', (c) => c.tokens.list()],
  [
    'POST /v1/account/tokens',
    (c) => c.tokens.create({ description: 'ci', expiresIn: 60 }),
    { description: 'ci', expires_in: 60 },
  ],
  ['DELETE /v1/account/tokens/:id', (c) => c.tokens.revoke('t1')],
  ['GET /v1/account/keys', (c) => c.keys.list()],
  ['POST /v1/account/keys', (c) => c.keys.add('ssh-ed25519 AAAA me'), { public_key: 'ssh-ed25519 AAAA me' }],
  ['DELETE /v1/account/keys/:id', (c) => c.keys.remove('t1')],
  ['GET /v1/ssh', (c) => c.ssh()],
  ['GET /v1/users', (c) => c.users.list()],
  [
    'POST /v1/users',
    (c) => c.users.create('dev@example.com', { admin: true }),
    { email: 'dev@example.com', admin: true },
  ],
  ['PATCH /v1/users/:email', (c) => c.users.setDisabled('dev@example.com', true), { disabled: true }],
  ['GET /v1/users/:email/tokens', (c) => c.users.tokens('dev@example.com')],
  ['GET /v1/admin/disk', (c) => c.admin.disk()],
  ['GET /v1/admin/backup', (c) => c.admin.backup()],
  ['POST /v1/admin/restore', (c) => c.admin.restore(new Blob(['tar']).stream()), 'tar'],
  ['GET /v1/admin/export', (c) => c.platArchive.export()],
  ['POST /v1/admin/import', (c) => c.platArchive.import(new Blob(['tar']).stream()), 'tar'],
  ['GET /v1/admin/backup-target', (c) => c.backupTarget.info()],
  [
    'PUT /v1/admin/backup-target',
    (c) => c.backupTarget.set({ url: '/srv/restic', keep_daily: 7 }),
    { url: '/srv/restic', keep_daily: 7 },
  ],
  ['DELETE /v1/admin/backup-target', (c) => c.backupTarget.unset()],
  ['POST /v1/admin/backup-target/actions/retry', (c) => c.backupTarget.retry()],
  ['GET /v1/nodes', (c) => c.nodes.list()],
  ['GET /v1/nodes/join-command', (c) => c.nodes.joinCommand()],
  ['POST /v1/nodes/:node/actions/drain', (c) => c.nodes.drain('node-b')],
  ['POST /v1/nodes/:node/actions/activate', (c) => c.nodes.activate('node-b')],
  ['GET /v1/addon-services', (c) => c.addons.services()],
  ['GET /v1/apps', (c) => c.apps.list()],
  ['POST /v1/apps', (c) => c.apps.create('hello'), { name: 'hello' }],
  ['GET /v1/apps/:app', (c) => c.apps.get('hello')],
  ['PATCH /v1/apps/:app', (c) => c.apps.update('hello', { maintenance: true }), { maintenance: true }],
  ['DELETE /v1/apps/:app?confirm=hello', (c) => c.apps.destroy('hello', 'hello')],
  ['GET /v1/apps/:app/config-vars', (c) => c.configVars.get('hello')],
  ['PATCH /v1/apps/:app/config-vars', (c) => c.configVars.update('hello', { A: '1', B: null }), { A: '1', B: null }],
  ['GET /v1/apps/:app/releases', (c) => c.releases.list('hello')],
  ['GET /v1/apps/:app/releases/:release', (c) => c.releases.get('hello', 'v3')],
  ['POST /v1/apps/:app/releases', (c) => c.releases.rollback('hello', 'v3'), { release: 'v3' }],
  ['GET /v1/apps/:app/builds', (c) => c.builds.list('hello')],
  ['GET /v1/apps/:app/builds/:build', (c) => c.builds.get('hello', 'b1')],
  ['GET /v1/apps/:app/formation', (c) => c.formation.list('hello')],
  [
    'PATCH /v1/apps/:app/formation',
    (c) => c.formation.update('hello', [{ type: 'web', quantity: 2 }]),
    [{ type: 'web', quantity: 2 }],
  ],
  ['GET /v1/apps/:app/dynos', (c) => c.dynos.list('hello')],
  ['POST /v1/apps/:app/dynos', (c) => c.dynos.run('hello', 'ls -la'), { command: 'ls -la' }],
  ['DELETE /v1/apps/:app/dynos', (c) => c.dynos.restart('hello')],
  ['DELETE /v1/apps/:app/dynos/:dyno', (c) => c.dynos.restart('hello', 'web.1')],
  ['POST /v1/apps/:app/dynos/:dyno/actions/stop', (c) => c.dynos.stop('hello', 'web.1')],
  [
    'GET /v1/apps/:app/logs?lines=5&source=router&tail=true',
    (c) => c.logs('hello', { lines: 5, source: 'router', tail: true }),
  ],
  ['GET /v1/apps/:app/log-stream?lines=5&dyno=web.1', (c) => c.logStream('hello', { lines: 5, dyno: 'web.1' }).next()],
  ['GET /v1/apps/:app/events', (c) => c.events('hello').next()],
  [
    'GET /v1/apps/:app/metrics?since=24h&step=300&type=web',
    (c) => c.metrics('hello', { since: '24h', step: 300, type: 'web' }),
  ],
  ['GET /v1/apps/:app/domains', (c) => c.domains.list('hello')],
  ['POST /v1/apps/:app/domains', (c) => c.domains.add('hello', 'www.example.com'), { hostname: 'www.example.com' }],
  ['DELETE /v1/apps/:app/domains/:hostname', (c) => c.domains.remove('hello', 'www.example.com')],
  ['GET /v1/apps/:app/log-drains', (c) => c.drains.list('hello')],
  [
    'POST /v1/apps/:app/log-drains',
    (c) => c.drains.add('hello', 'syslog://logs.example.com'),
    { url: 'syslog://logs.example.com' },
  ],
  ['DELETE /v1/apps/:app/log-drains/:id', (c) => c.drains.remove('hello', 't1')],
  ['GET /v1/apps/:app/webhooks', (c) => c.webhooks.list('hello')],
  ['GET /v1/apps/:app/webhooks/:id', (c) => c.webhooks.get('hello', 't1')],
  [
    'POST /v1/apps/:app/webhooks',
    (c) => c.webhooks.add('hello', { url: 'https://hooks.example.com/plat', include: ['api:release'] }),
    { url: 'https://hooks.example.com/plat', include: ['api:release'] },
  ],
  [
    'PATCH /v1/apps/:app/webhooks/:id',
    (c) => c.webhooks.update('hello', 't1', { include: ['api:build'] }),
    { include: ['api:build'] },
  ],
  ['DELETE /v1/apps/:app/webhooks/:id', (c) => c.webhooks.remove('hello', 't1')],
  ['GET /v1/apps/:app/webhook-deliveries?limit=5', (c) => c.webhooks.deliveries('hello', { limit: 5 })],
  ['GET /v1/alerts?all=true', (c) => c.alerts.list({ all: true })],
  ['GET /v1/apps/:app/alerts', (c) => c.alerts.list({ app: 'hello' })],
  [
    'POST /v1/app-setups',
    (c) => c.appSetups.create({ name: 'hello', manifest: '{}', env: { API_TOKEN: 'x' } }),
    { name: 'hello', manifest: '{}', env: { API_TOKEN: 'x' } },
  ],
  ['GET /v1/apps/:app/features', (c) => c.features.list('hello')],
  ['PATCH /v1/apps/:app/features/:feature', (c) => c.features.set('hello', 'heroku-metadata', true), { enabled: true }],
  ['GET /v1/apps/:app/certs', (c) => c.certs.list('hello')],
  [
    'POST /v1/apps/:app/certs',
    (c) => c.certs.add('hello', { certificateChain: 'CHAIN', privateKey: 'KEY' }),
    { certificate_chain: 'CHAIN', private_key: 'KEY' },
  ],
  ['DELETE /v1/apps/:app/certs/:id', (c) => c.certs.remove('hello', 't1')],
  ['POST /v1/apps/:app/acm', (c) => c.certs.enableAuto('hello')],
  ['DELETE /v1/apps/:app/acm', (c) => c.certs.disableAuto('hello')],
  ['GET /v1/apps/:app/collaborators', (c) => c.collaborators.list('hello')],
  [
    'POST /v1/apps/:app/collaborators',
    (c) => c.collaborators.add('hello', 'dev@example.com'),
    { email: 'dev@example.com' },
  ],
  ['DELETE /v1/apps/:app/collaborators/:email', (c) => c.collaborators.remove('hello', 'dev@example.com')],
  ['GET /v1/apps/:app/audit-events?limit=10', (c) => c.auditEvents.list('hello', { limit: 10 })],
  ['GET /v1/apps/:app/addons', (c) => c.addons.list('hello')],
  [
    'POST /v1/apps/:app/addons',
    (c) => c.addons.create('hello', { plan: 'postgres', as: 'DB' }),
    { plan: 'postgres', as: 'DB' },
  ],
  ['GET /v1/apps/:app/addons/:addon', (c) => c.addons.get('hello', 'pg-1')],
  ['POST /v1/apps/:app/addons/:addon/actions/restart', (c) => c.addons.restart('hello', 'pg-1')],
  ['DELETE /v1/apps/:app/addons/:addon?confirm=pg-1', (c) => c.addons.destroy('hello', 'pg-1', 'pg-1')],
  ['GET /v1/apps/:app/pg?addon=pg-1', (c) => c.pg.info('hello', 'pg-1')],
  ['GET /v1/apps/:app/pg/backups', (c) => c.pg.backups('hello')],
  ['POST /v1/apps/:app/pg/backups', (c) => c.pg.capture('hello'), {}],
  ['GET /v1/apps/:app/pg/backups/:backup/download', (c) => c.pg.download('hello', 'b001')],
  [
    'POST /v1/apps/:app/pg/backups/:backup/actions/restore',
    (c) => c.pg.restore('hello', 'b001', { confirm: 'hello' }),
    { confirm: 'hello' },
  ],
  ['PUT /v1/apps/:app/pg/backups/schedule', (c) => c.pg.schedule('hello', { hour: 3 }), { hour: 3 }],
  ['GET /v1/apps/:app/pg/backups/:backup', (c) => c.pg.backup('hello', 'b001')],
  ['POST /v1/apps/:app/pg/backups/:backup/actions/verify', (c) => c.pg.verify('hello', 'b001'), {}],
  ['GET /v1/apps/:app/redis/backups', (c) => c.redis.backups('hello')],
  ['POST /v1/apps/:app/redis/backups', (c) => c.redis.capture('hello', 'redis-1'), { addon: 'redis-1' }],
  ['GET /v1/apps/:app/redis/backups/:backup', (c) => c.redis.backup('hello', 'b001')],
  ['POST /v1/apps/:app/redis/backups/:backup/actions/verify', (c) => c.redis.verify('hello', 'b001'), {}],
  ['GET /v1/apps/:app/redis/backups/:backup/download', (c) => c.redis.download('hello', 'b001')],
  [
    'POST /v1/apps/:app/redis/backups/:backup/actions/restore',
    (c) => c.redis.restore('hello', 'b001', { confirm: 'hello' }),
    { confirm: 'hello' },
  ],
  ['GET /v1/apps/:app/scheduler/jobs', (c) => c.scheduler.list('hello')],
  [
    'POST /v1/apps/:app/scheduler/jobs',
    (c) => c.scheduler.add('hello', { schedule: '0 * * * *', command: 'true' }),
    { schedule: '0 * * * *', command: 'true' },
  ],
  ['DELETE /v1/apps/:app/scheduler/jobs/:job', (c) => c.scheduler.remove('hello', 'j1')],
  ['GET /v1/pipelines', (c) => c.pipelines.list()],
  [
    'POST /v1/pipelines',
    (c) => c.pipelines.create({ name: 'shop', app: 'hello', stage: 'staging' }),
    { name: 'shop', app: 'hello', stage: 'staging' },
  ],
  ['GET /v1/pipelines/:pipeline', (c) => c.pipelines.get('shop')],
  [
    'POST /v1/pipelines/:pipeline/apps',
    (c) => c.pipelines.addApp('shop', 'hello', 'production'),
    { app: 'hello', stage: 'production' },
  ],
  ['DELETE /v1/pipelines/:pipeline/apps/:app', (c) => c.pipelines.removeApp('shop', 'hello')],
  ['GET /v1/apps/:app/pipeline', (c) => c.pipelines.of('hello')],
  ['POST /v1/apps/:app/pipeline/promotions', (c) => c.pipelines.promote('hello', ['prod']), { to: ['prod'] }],
  ['GET /v1/apps/:app/pipeline/diff', (c) => c.pipelines.diff('hello')],
  ['GET /v1/pipelines/:pipeline/review-apps', (c) => c.reviewApps.list('shop')],
  [
    'POST /v1/pipelines/:pipeline/review-apps',
    (c) => c.reviewApps.create('shop', { branch: 'fix', ttl_seconds: 3600 }),
    { branch: 'fix', ttl_seconds: 3600 },
  ],
  ['DELETE /v1/pipelines/:pipeline/review-apps/:app', (c) => c.reviewApps.destroy('shop', 'hello')],
];

/** The values the calls above pass for each path parameter. */
const PARAMS: Record<string, string> = {
  app: 'hello',
  id: 't1',
  email: 'dev@example.com',
  release: 'v3',
  build: 'b1',
  dyno: 'web.1',
  hostname: 'www.example.com',
  addon: 'pg-1',
  backup: 'b001',
  job: 'j1',
  pipeline: 'shop',
  feature: 'heroku-metadata',
  node: 'node-b',
};
const concrete = (template: string) =>
  template.replace(/:([a-z]+)/g, (_, name: string) => encodeURIComponent(PARAMS[name]!));

describe.each([
  ['fetch', undefined],
  ['node:http', nodeSender],
])('PlatClient, its JSON by %s', (_name, sender) => {
  beforeAll(() => {
    send = sender;
  });
  afterAll(() => {
    send = undefined;
  });

  it.each(calls)('%s', async (route, call, body) => {
    seen.length = 0;
    await call(client());
    const [method, path] = route.split(' ') as [string, string];
    expect(seen).toHaveLength(1);
    expect({ method: seen[0]!.method, url: seen[0]!.url }).toEqual({ method, url: concrete(path) });
    expect(seen[0]!.authorization).toBe('Bearer plat_t');
    // A string is the raw body; anything else, JSON.
    if (typeof body === 'string') expect(seen[0]!.body).toBe(body);
    else expect(seen[0]!.body === '' ? undefined : JSON.parse(seen[0]!.body)).toEqual(body);
  });

  it('reaches every route platd serves', () => {
    const routesDir = fileURLToPath(new URL('../../../apps/api/src/http/routes/', import.meta.url));
    const served = new Set<string>();
    for (const file of readdirSync(routesDir).filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts'))) {
      for (const [, path] of readFileSync(`${routesDir}${file}`, 'utf8').matchAll(/'(\/v1\/[^'?]*)'/g))
        served.add(path!);
    }
    const called = new Set(calls.map(([route]) => route.split(' ')[1]!.replace(/\?.*/, '')));
    expect([...served].filter((path) => !called.has(path))).toEqual([]);
    expect(served.size).toBeGreaterThan(30);
  });

  it("turns the API's error body into a PlatError with its id and message", async () => {
    answer = (_request, response) => response.writeHead(404).end('{"id":"not_found","message":"No app hello"}');
    await expect(client().apps.get('hello')).rejects.toMatchObject({ id: 'not_found', message: 'No app hello' });
    answer = (_request, response) => response.writeHead(401).end('nope');
    await expect(client().apps.list()).rejects.toMatchObject({ id: 'unauthorized' });
    answer = (_request, response) => response.writeHead(502).end('<html>');
    await expect(client().logs('hello')).rejects.toMatchObject({
      id: 'internal_error',
      message: `HTTP 502 from ${apiUrl.slice(0, -1)}`,
    });
  });

  it('lists every app, following Next-Range page by page, and fetches one page on request', async () => {
    const names = ['a1', 'a2', 'a3', 'a4', 'a5'];
    // Pages of two, as platd answers: 206 and Next-Range while more remain, 200 on the last.
    answer = (request, response) => {
      const after = /\](\S+)\.\./.exec(request.headers.range ?? '')?.[1];
      const rest = names.filter((name) => after === undefined || name > after);
      const page = rest.slice(0, 2).map((name) => ({ name }));
      const more = rest.length > 2;
      const next = more ? { 'next-range': `name ]${page.at(-1)!.name}..; max=2` } : {};
      response.writeHead(more ? 206 : 200, { 'content-type': 'application/json', ...next }).end(JSON.stringify(page));
    };
    seen.length = 0;
    expect((await client().apps.list()).map((app) => app.name)).toEqual(names);
    expect(seen.map((request) => request.url)).toEqual(['/v1/apps', '/v1/apps', '/v1/apps']);
    const first = await client().apps.page('name ..; max=2');
    expect(first).toEqual({ items: [{ name: 'a1' }, { name: 'a2' }], nextRange: 'name ]a2..; max=2' });
    const last = await client().apps.page('name ]a4..; max=2');
    expect(last).toEqual({ items: [{ name: 'a5' }] });

    // A server that never moves on is an error, not an endless loop.
    answer = (_request, response) =>
      response.writeHead(206, { 'content-type': 'application/json', 'next-range': 'name ]a..' }).end('[]');
    await expect(client().apps.list()).rejects.toMatchObject({ id: 'internal_error' });
  });

  it("reads the release a config change made from the answer's Plat-Release-Version, if a version", async () => {
    for (const [header, release] of [
      ['7', 7],
      [undefined, undefined],
      ['', undefined],
      ['v7', undefined],
    ] as const) {
      answer = (_request, response) =>
        response
          .writeHead(200, {
            'content-type': 'application/json',
            ...(header === undefined ? {} : { 'plat-release-version': header }),
          })
          .end('{"A":"1"}');
      expect(await client().configVars.update('hello', { A: '1' }), JSON.stringify(header)).toEqual({
        config: { A: '1' },
        ...(release === undefined ? {} : { release }),
      });
    }
  });

  it('says platd is unavailable when nothing listens', async () => {
    const idle = createServer();
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
    const port = (idle.address() as AddressInfo).port;
    await new Promise((resolve) => idle.close(resolve));
    const unreached = new PlatClient({ apiUrl: `http://127.0.0.1:${port}`, ...(send ? { send } : {}) });
    const error = await unreached.apps.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatError);
    expect(error).toMatchObject({
      id: 'unavailable',
      message: `Could not reach the Plat API at http://127.0.0.1:${port} (ECONNREFUSED)`,
    });
  });

  it('says where the API redirects to, or follows it as fetch does', async () => {
    answer = (request, response) =>
      request.url === '/v1/apps'
        ? response.writeHead(308, { location: '/plat/v1/apps' }).end()
        : response.writeHead(200, { 'content-type': 'application/json' }).end('[]');
    const listed = client().apps.list();
    if (!send) return expect(listed).resolves.toEqual([]);
    const moved = `${apiUrl}plat`;
    const said = `The Plat API at ${apiUrl.slice(0, -1)} redirects to ${moved}`;
    await expect(listed).rejects.toMatchObject({
      id: 'unavailable',
      message: `${said}: log in with that URL (plat login --api-url ${moved}).`,
    });
  });

  it('follows a redirect on streams, downloads and uploads only as its JSON requests do', async () => {
    // Another server, where a followed redirect would end up.
    const elsewhere: Seen[] = [];
    const other = createServer((request, response) => {
      elsewhere.push({
        method: request.method!,
        url: request.url!,
        authorization: request.headers.authorization,
        body: '',
      });
      request.resume();
      request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    try {
      answer = (request, response) => response.writeHead(307, { location: `${otherUrl}${request.url}` }).end();
      if (!send) {
        await client().logs('hello');
        await client().admin.backup();
        expect(elsewhere.map((request) => request.url)).toEqual(['/v1/apps/hello/logs', '/v1/admin/backup']);
        return;
      }
      const said = `The Plat API at ${apiUrl.slice(0, -1)} redirects to ${otherUrl}`;
      const refused = { id: 'unavailable', message: expect.stringContaining(said) };
      await expect(client().logs('hello')).rejects.toMatchObject(refused);
      await expect(client().admin.backup()).rejects.toMatchObject(refused);
      await expect(client().admin.restore(new Blob(['state']).stream())).rejects.toMatchObject(refused);
      expect(elsewhere).toEqual([]);
    } finally {
      await new Promise((resolve) => other.close(resolve));
    }
  });

  it('names NODE_EXTRA_CA_CERTS when the server certificate is not trusted (a private CA)', () => {
    const untrusted = new TypeError('fetch failed', { cause: { code: 'SELF_SIGNED_CERT_IN_CHAIN' } });
    expect(unreachable('https://plat.example.com', untrusted).message).toBe(
      'Could not reach the Plat API at https://plat.example.com (SELF_SIGNED_CERT_IN_CHAIN): ' +
        "the server's certificate is not trusted; for a private CA, set NODE_EXTRA_CA_CERTS to its PEM file",
    );
  });
});

describe('AttachClient', () => {
  it('upgrades to the attach protocol with the command and the terminal, and hands over the socket', async () => {
    seen.length = 0;
    const session = await new AttachClient({ apiUrl, token: 'plat_t' }).run('hello', 'ls -la', { cols: 80, rows: 24 });
    let received = session.head.toString();
    session.socket.on('data', (chunk: Buffer) => (received += chunk)).resume();
    await new Promise((resolve) => session.socket.on('close', resolve));
    expect(received).toBe('hello');
    expect(seen).toEqual([
      {
        method: 'UPGRADE',
        url: '/v1/apps/hello/dynos/attach?command=ls+-la&tty=1&cols=80&rows=24',
        authorization: 'Bearer plat_t',
        body: '',
      },
    ]);
    seen.length = 0;
    (await new AttachClient({ apiUrl }).psql('hello', 'pg-1')).socket.destroy();
    expect(seen.map((s) => [s.url, s.authorization])).toEqual([['/v1/apps/hello/pg/psql?addon=pg-1', undefined]]);
  });

  it("rejects with the API's error when it answers instead of upgrading", async () => {
    const refused = new AttachClient({ apiUrl }).run('other', 'ls');
    await expect(refused).rejects.toMatchObject({ id: 'forbidden', message: 'Not yours' });
  });
});

describe('movedApiUrl', () => {
  it("keeps the API's path prefix and drops the route a redirect was for", () => {
    const at = 'http://plat.example.com/v1/apps?x=1';
    expect(movedApiUrl(at, 'https://plat.example.com/v1/apps?x=1', '/v1/apps?x=1')).toBe('https://plat.example.com');
    expect(movedApiUrl(at, '/plat/v1/apps', '/v1/apps')).toBe('http://plat.example.com/plat');
    expect(movedApiUrl(at, 'https://elsewhere.example.com/', '/v1/apps')).toBe('https://elsewhere.example.com');
  });
});
