/**
 * Many eco apps going idle together sleep side by side, so the router gets
 * their route changes at once (NginxRouter makes one reload of those that
 * queue; nginx-reload.test.ts), not one reload after another.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { cutRelease } from '../services/releases.js';
import { insertApp, upsertFormation } from '../store/apps.js';
import { sleepingSince } from '../store/eco-sleep.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';

let fake: FakePlatform;
const ids: string[] = [];

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { bootTimeoutMs: 500, ecoSleepMs: 1 });
  const owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
  for (let index = 0; index < 6; index += 1) {
    const app = (await insertApp(fake.platform.sql, `eco-${index}`, owner.id))!;
    ids.push(app.id);
    await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 1, size: 'eco' });
    const release = { description: 'Deploy', image: 'plat/eco:v1', processTypes: { web: 'serve' }, config: {} };
    await cutRelease(fake.platform, app, release);
  }
});
afterAll(async () => {
  await fake?.close();
});

it('puts idle eco apps to sleep side by side, their route changes reaching the router together', async () => {
  let inFlight = 0;
  let most = 0;
  const apply = fake.router.apply.bind(fake.router);
  const slow = vi.spyOn(fake.router, 'apply').mockImplementation(async (routes) => {
    most = Math.max(most, ++inFlight);
    // A reload takes a while: the applies asked for meanwhile overlap it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    inFlight -= 1;
    return apply(routes);
  });
  try {
    await fake.platform.eco.check();
  } finally {
    slow.mockRestore();
  }
  for (const id of ids) expect(await sleepingSince(fake.platform.sql, id)).toBeInstanceOf(Date);
  expect(fake.runtime.running()).toEqual([]);
  expect(most).toBeGreaterThan(1);
});
