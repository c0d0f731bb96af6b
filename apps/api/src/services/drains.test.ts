/** The drains API over a real state database: limits, duplicates, refusals, removal by token. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { startTestPlatform, type TestPlatform } from '../testing/platform.js';
import { MAX_DRAINS_PER_APP } from './drains.js';

describe('log drains API', () => {
  let t: TestPlatform;
  const call = async (method: 'GET' | 'POST' | 'DELETE', url: string, body?: object) => {
    const response = await t.server.inject({
      method,
      url,
      headers: { authorization: `Bearer ${t.adminToken}` },
      ...(body ? { payload: body } : {}),
    });
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };

  beforeAll(async () => {
    t = await startTestPlatform(backends[0]!);
    expect((await call('POST', '/v1/apps', { name: 'drained' })).status).toBe(201);
  });
  afterAll(async () => {
    t?.platform.drains.stop();
    await t?.close();
  });

  it(`adds up to ${MAX_DRAINS_PER_APP} drains, each with its own token, and refuses duplicates`, async () => {
    for (let i = 1; i <= MAX_DRAINS_PER_APP; i += 1) {
      const added = await call('POST', '/v1/apps/drained/log-drains', {
        url: `syslog+tls://logs${i}.example.com:6514`,
      });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ url: `syslog+tls://logs${i}.example.com:6514`, last_error: null });
      expect(added.body.token).toMatch(/^d\.[0-9a-f-]{36}$/);
    }
    const sixth = await call('POST', '/v1/apps/drained/log-drains', { url: 'syslog://logs6.example.com' });
    expect(sixth).toMatchObject({ status: 403, body: { id: 'quota_exceeded' } });
    const listed = await call('GET', '/v1/apps/drained/log-drains');
    expect(listed.body).toHaveLength(MAX_DRAINS_PER_APP);
    expect(new Set(listed.body.map((d: { token: string }) => d.token)).size).toBe(MAX_DRAINS_PER_APP);

    const [first] = listed.body as { id: string; token: string; url: string }[];
    expect((await call('DELETE', `/v1/apps/drained/log-drains/${first!.token}`)).status).toBe(204);
    const again = await call('POST', '/v1/apps/drained/log-drains', { url: 'syslog+tls://LOGS2.example.com:6514' });
    expect(again).toMatchObject({ status: 409, body: { id: 'conflict' } });
    expect((await call('DELETE', `/v1/apps/drained/log-drains/${first!.id}`)).status).toBe(404);
  });

  it('refuses loopback, link-local and this host by default, and other schemes', async () => {
    for (const [url, message] of [
      ['syslog://127.0.0.1:514', /loopback or private address \(PLAT_DRAINS_ALLOW_PRIVATE=1 allows it\)/],
      ['https://[::1]/logs', /loopback or private/],
      ['syslog://localhost:514', /this server/],
      ['syslog+tls://169.254.169.254:6514', /link-local/],
      ['http://logs.example.com/', /in the clear/],
      ['gopher://logs.example.com/', /not gopher:\/\//],
    ] as const) {
      const refused = await call('POST', '/v1/apps/drained/log-drains', { url });
      expect(refused.status, url).toBe(422);
      expect(refused.body.message, url).toMatch(message);
    }
  });
});
