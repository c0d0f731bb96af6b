/**
 * platd listening on one loopback address only (PLAT_API_HOST): the git
 * hook must reach it there, not at 127.0.0.1 where nothing listens.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';

let platd: Platd;

beforeAll(async () => {
  platd = await startPlatd({ env: { PLAT_API_HOST: '127.0.0.2' } });
});

afterAll(async () => {
  await platd?.destroy();
});

it('deploys a push when the API listens on another address than 127.0.0.1', async () => {
  expect(platd.apiUrl).toMatch(/^http:\/\/127\.0\.0\.2:/);
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  const repo = await exampleRepo(platd, 'static-site');
  expect((await platd.plat(['apps:create', 'elsewhere'], { cwd: repo })).code).toBe(0);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.output).toMatch(/Released v\d+/);
  expect(push.code).toBe(0);
  expect((await get(platd.routerPort, 'elsewhere.localhost')).status).toBe(200);
});
