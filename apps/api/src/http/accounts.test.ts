/**
 * Accounts through fastify's inject(), on both state databases: admins list,
 * disable and enable users and revoke anyone's token; tokens expire; failed
 * authentications are refused per address before they reach the database;
 * attach upgrades count against the per-user rate limit.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILED_AUTH_LIMIT } from '../auth/failed-auth-limit.js';
import { backends } from '../testing/backends.js';
import { startTestPlatform, type TestPlatform } from '../testing/platform.js';

type Call = (
  method: string,
  url: string,
  options?: { token?: string | null; body?: unknown; address?: string },
) => Promise<{ status: number; body: any }>;

function caller(t: () => TestPlatform): Call {
  return async (method, url, options = {}) => {
    const token = options.token === undefined ? t().adminToken : options.token;
    const response = await t().server.inject({
      method: method as 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(options.address ? { remoteAddress: options.address } : {}),
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
    });
    const json = response.headers['content-type']?.toString().startsWith('application/json');
    return { status: response.statusCode, body: response.body && json ? JSON.parse(response.body) : response.body };
  };
}

/** An upgrade request as `plat run` sends it; resolves with the status line's code. */
function upgrade(port: number, path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      headers: { connection: 'Upgrade', upgrade: 'plat-attach', authorization: `Bearer ${token}` },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

describe.each(backends)('accounts on $name', (backend) => {
  let t: TestPlatform;
  const call = caller(() => t);
  let bob: string;

  beforeAll(async () => {
    t = await startTestPlatform(backend);
    bob = (await call('POST', '/v1/users', { body: { email: 'bob@example.com' } })).body.token;
    await call('POST', '/v1/apps', { token: bob, body: { name: 'bobs-app' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists users to admins only', async () => {
    const list = await call('GET', '/v1/users');
    expect(list.status).toBe(200);
    expect(list.body.map((u: { email: string }) => u.email)).toEqual(['admin@plat.local', 'bob@example.com']);
    expect(list.body[1]).toMatchObject({
      email: 'bob@example.com',
      admin: false,
      disabled: false,
      disabled_at: null,
      tokens: 1,
      apps: 1,
    });
    for (const [method, url, body] of [
      ['GET', '/v1/users'],
      ['PATCH', '/v1/users/admin@plat.local', { disabled: true }],
      ['GET', '/v1/users/admin@plat.local/tokens'],
      ['POST', '/v1/users', { email: 'eve@example.com' }],
    ] as const) {
      const denied = await call(method, url, { token: bob, ...(body ? { body } : {}) });
      expect(denied.status, `${method} ${url}`).toBe(403);
      expect(denied.body.message).toBe('Only admins may do that.');
    }
    expect((await call('GET', '/v1/account')).body).toEqual({ user: 'admin@plat.local', admin: true });
  });

  it('disables a user: every token of theirs gets 401 at once, and enabling brings them back', async () => {
    const second = (await call('POST', '/v1/account/tokens', { token: bob, body: { description: 'ci' } })).body.token;
    const disabled = await call('PATCH', '/v1/users/Bob@Example.com', { body: { disabled: true } });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ email: 'bob@example.com', disabled: true });
    expect(Date.parse(disabled.body.disabled_at)).toBeGreaterThan(Date.now() - 60_000);
    for (const token of [bob, second]) {
      const refused = await call('GET', '/v1/apps', { token });
      expect(refused.status).toBe(401);
      expect(refused.body).toEqual({
        id: 'unauthorized',
        message: 'The account bob@example.com is disabled: ask an admin to enable it (plat users:enable).',
      });
    }
    // git is refused the same way, before the repository is looked at.
    const git = await t.server.inject({
      method: 'GET',
      url: '/git/bobs-app.git/info/refs?service=git-receive-pack',
      headers: { authorization: `Basic ${Buffer.from(`plat:${bob}`).toString('base64')}` },
    });
    expect(git.statusCode).toBe(401);
    expect(git.body).toContain('is disabled');
    // Bob's app is still there, untouched.
    expect((await call('GET', '/v1/apps/bobs-app')).body).toMatchObject({ name: 'bobs-app', owner: 'bob@example.com' });
    expect((await call('GET', '/v1/users')).body[1]).toMatchObject({ disabled: true, tokens: 2 });

    const enabled = await call('PATCH', '/v1/users/bob@example.com', { body: { disabled: false } });
    expect(enabled.body).toMatchObject({ disabled: false, disabled_at: null });
    expect((await call('GET', '/v1/apps', { token: bob })).status).toBe(200);
    expect((await call('GET', '/v1/apps', { token: second })).status).toBe(200);
  });

  it('refuses to let an admin disable themself, or anyone unknown, or a bad body', async () => {
    const self = await call('PATCH', '/v1/users/admin@plat.local', { body: { disabled: true } });
    expect(self.status).toBe(403);
    expect(self.body.message).toBe('You cannot disable your own account: another admin can.');
    expect((await call('GET', '/v1/account')).status).toBe(200);
    expect((await call('PATCH', '/v1/users/nobody@example.com', { body: { disabled: true } })).status).toBe(404);
    expect((await call('PATCH', '/v1/users/bob@example.com', { body: { disabled: 'yes' } })).body.id).toBe(
      'invalid_params',
    );
    expect((await call('PATCH', '/v1/users/bob@example.com', { body: { disabled: true, admin: true } })).body.id).toBe(
      'invalid_params',
    );
    expect((await call('GET', '/v1/users')).body.every((u: { disabled: boolean }) => !u.disabled)).toBe(true);
  });

  it("lets an admin list and revoke anyone's token, and nobody else", async () => {
    const ci = (await call('POST', '/v1/account/tokens', { token: bob, body: { description: 'to revoke' } })).body;
    const listed = await call('GET', '/v1/users/bob@example.com/tokens');
    expect(listed.status).toBe(200);
    expect(listed.body.map((token: { description: string }) => token.description)).toContain('to revoke');
    expect(JSON.stringify(listed.body)).not.toContain(ci.token);
    expect((await call('GET', '/v1/users/nobody@example.com/tokens')).status).toBe(404);

    // Bob cannot revoke the admin's token: as far as he can tell it does not exist.
    const adminTokenId = (await call('GET', '/v1/account/tokens')).body[0].id;
    expect((await call('DELETE', `/v1/account/tokens/${adminTokenId}`, { token: bob })).status).toBe(404);
    expect((await call('GET', '/v1/account')).status).toBe(200);

    expect((await call('DELETE', `/v1/account/tokens/${ci.id}`)).status).toBe(204);
    expect((await call('GET', '/v1/apps', { token: ci.token })).status).toBe(401);
    expect((await call('GET', '/v1/apps', { token: bob })).status).toBe(200);
  });

  it('creates tokens that expire, and an expired token gets 401 "token expired"', async () => {
    const short = await call('POST', '/v1/account/tokens', {
      token: bob,
      body: { description: 'short', expires_in: 1 },
    });
    expect(short.status).toBe(201);
    expect(Date.parse(short.body.expires_at)).toBeLessThanOrEqual(Date.now() + 2_000);
    const refused = await until('the 1 s token to expire', async () => {
      const response = await call('GET', '/v1/account', { token: short.body.token });
      return response.status === 401 ? response : undefined;
    });
    expect(refused.body).toEqual({
      id: 'unauthorized',
      message: 'Token expired: log in with another token, or ask for a new one (plat tokens:create).',
    });
    const listed = (await call('GET', '/v1/account/tokens', { token: bob })).body.find(
      (token: { id: string }) => token.id === short.body.id,
    );
    expect(listed.expires_at).toBe(short.body.expires_at);

    const at = new Date(Date.now() + 3_600_000).toISOString();
    const later = await call('POST', '/v1/account/tokens', { token: bob, body: { expires_at: at } });
    expect(later.status).toBe(201);
    expect(Date.parse(later.body.expires_at)).toBe(Date.parse(at));
    expect((await call('GET', '/v1/account', { token: later.body.token })).status).toBe(200);

    for (const body of [
      { expires_in: 0 },
      { expires_in: 1.5 },
      { expires_at: '2001-01-01T00:00:00Z' },
      { expires_at: 'tomorrow' },
      { expires_in: 60, expires_at: at },
    ]) {
      const bad = await call('POST', '/v1/account/tokens', { token: bob, body });
      expect(bad.status, JSON.stringify(body)).toBe(422);
      expect(bad.body.id).toBe('invalid_params');
    }
  });
});

describe('failed authentications', () => {
  let t: TestPlatform;
  const call = caller(() => t);
  let port: number;

  beforeAll(async () => {
    t = await startTestPlatform(backends[0]!);
    await t.server.listen({ host: '127.0.0.1', port: 0 });
    port = (t.server.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses an address that failed too often before its tokens reach the database, good ones included', async () => {
    const attacker = '203.0.113.7';
    // Bad bearer tokens, bad git passwords and bad upgrade tokens all count.
    for (let i = 0; i < FAILED_AUTH_LIMIT - 2; i += 1) {
      expect((await call('GET', '/v1/apps', { token: `plat_guess${i}`, address: attacker })).status).toBe(401);
    }
    const git = await t.server.inject({
      method: 'GET',
      url: '/git/any.git/info/refs?service=git-upload-pack',
      remoteAddress: attacker,
      headers: { authorization: `Basic ${Buffer.from('plat:plat_guess').toString('base64')}` },
    });
    expect(git.statusCode).toBe(401);
    expect((await call('GET', '/v1/apps', { token: 'plat_last_guess', address: attacker })).status).toBe(401);
    // No token at all costs no query and does not count (git asks without one first).
    expect((await call('GET', '/v1/apps', { token: null, address: attacker })).status).toBe(401);

    // Count every query from here on: a refused address must cost none.
    const real = t.platform.sql;
    let queries = 0;
    t.platform.sql = new Proxy(real, {
      apply: (target, self, args) => {
        queries += 1;
        return Reflect.apply(target, self, args);
      },
    });
    try {
      for (const token of ['plat_another_guess', t.adminToken]) {
        const refused = await call('GET', '/v1/apps', { token, address: attacker });
        expect(refused.status).toBe(429);
        expect(refused.body.id).toBe('rate_limited');
        expect(refused.body.message).toMatch(/^Too many failed authentications from your address: retry in \d+ s\.$/);
      }
      const gitRefused = await t.server.inject({
        method: 'GET',
        url: '/git/any.git/info/refs?service=git-upload-pack',
        remoteAddress: attacker,
        headers: { authorization: `Basic ${Buffer.from(`plat:${t.adminToken}`).toString('base64')}` },
      });
      expect(gitRefused.statusCode).toBe(429);
      expect(gitRefused.body).toContain('Too many failed authentications');
      expect(queries).toBe(0);
      // Everyone else is served as before (and the count does see their queries).
      expect((await call('GET', '/v1/apps', { address: '203.0.113.8' })).status).toBe(200);
      expect(queries).toBeGreaterThan(0);
    } finally {
      t.platform.sql = real;
    }
  });

  it('counts bad tokens on attach upgrades, and refuses them too', async () => {
    // Over a real socket the client address is 127.0.0.1.
    for (let i = 0; i < FAILED_AUTH_LIMIT; i += 1)
      expect(await upgrade(port, '/v1/apps/nope/dynos/attach?command=ls', `plat_guess${i}`)).toBe(401);
    expect(await upgrade(port, '/v1/apps/nope/dynos/attach?command=ls', t.adminToken)).toBe(429);
    expect((await call('GET', '/v1/apps', { address: '127.0.0.1' })).status).toBe(429);
  });
});

describe('the per-user rate limit', () => {
  it('counts attach upgrades like any other request', async () => {
    const t = await startTestPlatform(backends[0]!, { rateLimitPerMinute: 3 });
    try {
      await t.server.listen({ host: '127.0.0.1', port: 0 });
      const port = (t.server.server.address() as AddressInfo).port;
      const call = caller(() => t);
      expect((await call('GET', '/v1/apps')).status).toBe(200);
      // Counted, then refused for the app that does not exist.
      expect(await upgrade(port, '/v1/apps/nope/dynos/attach?command=ls', t.adminToken)).toBe(404);
      expect((await call('GET', '/v1/apps')).status).toBe(200);
      expect(await upgrade(port, '/v1/apps/nope/pg/psql', t.adminToken)).toBe(429);
      const refused = await call('GET', '/v1/apps');
      expect(refused.status).toBe(429);
      expect(refused.body.message).toMatch(/^Too many requests: the limit is 3 a minute; retry in \d+ s\.$/);
    } finally {
      await t.close();
    }
  });
});
