/**
 * App setups and labs features through the API: an invalid app.json is
 * refused with the field's path and a missing required var before the app
 * exists; a valid one makes the app with its config and formation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../testing/backends.js';
import { startTestPlatform, type TestPlatform } from '../testing/platform.js';

const MANIFEST = JSON.stringify({
  env: {
    GREETING: 'hi',
    API_TOKEN: { description: 'the token' },
    SECRET_KEY: { generator: 'secret' },
  },
  formation: { web: { quantity: 2, size: 'basic' }, worker: { quantity: 1 } },
  scripts: { postdeploy: 'python seed.py' },
  logo: 'https://example.com/logo.png',
  image: 'heroku/python',
});

describe('app setups', () => {
  let t: TestPlatform;

  const call = async (method: string, url: string, body?: unknown) => {
    const response = await t.server.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${t.adminToken}` },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    return { status: response.statusCode, body: JSON.parse(response.body) as any };
  };

  beforeAll(async () => {
    t = await startTestPlatform(backends[0]!);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses an invalid field by its path, and a missing required var, making no app', async () => {
    const invalid = await call('POST', '/v1/app-setups', {
      name: 'shop',
      manifest: JSON.stringify({ env: { SECRET_KEY: { generator: 'uuid' } } }),
    });
    expect(invalid).toMatchObject({
      status: 422,
      body: { id: 'invalid_params', message: 'app.json: env.SECRET_KEY.generator: must be "secret"' },
    });
    const missing = await call('POST', '/v1/app-setups', { name: 'shop', manifest: MANIFEST });
    expect(missing.status).toBe(422);
    expect(missing.body.message).toContain('app.json requires a config var with no value: API_TOKEN (the token)');
    expect((await call('GET', '/v1/apps/shop')).status).toBe(404);
  });

  it('makes the app with config vars, a generated secret and the formation', async () => {
    const setup = await call('POST', '/v1/app-setups', {
      name: 'shop',
      manifest: MANIFEST,
      env: { API_TOKEN: 't0k3n' },
    });
    expect(setup.status, JSON.stringify(setup.body)).toBe(201);
    expect(setup.body).toMatchObject({
      app: { name: 'shop' },
      warnings: ['app.json: image is not used by Plat; ignored'],
      postdeploy: 'python seed.py',
    });
    const config = (await call('GET', '/v1/apps/shop/config-vars')).body;
    expect(config).toMatchObject({ GREETING: 'hi', API_TOKEN: 't0k3n' });
    expect(config.SECRET_KEY).toMatch(/^[0-9a-f]{64}$/);
    const formation = (await call('GET', '/v1/apps/shop/formation')).body;
    expect(formation).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'web', quantity: 2, size: 'basic' }),
        expect.objectContaining({ type: 'worker', quantity: 1, size: 'standard' }),
      ]),
    );
  });

  it('switches labs features', async () => {
    expect((await call('GET', '/v1/apps/shop/features')).body).toEqual([
      expect.objectContaining({ name: 'heroku-metadata', enabled: false }),
    ]);
    const on = await call('PATCH', '/v1/apps/shop/features/heroku-metadata', { enabled: true });
    expect(on.body).toMatchObject({ name: 'heroku-metadata', enabled: true });
    expect((await call('PATCH', '/v1/apps/shop/features/warp-drive', { enabled: true })).status).toBe(404);
  });
});
