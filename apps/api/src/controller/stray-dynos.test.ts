/**
 * Dynos whose app has no row (destroyed while platd was down, or a destroy
 * cut short) are found by the periodic listing and removed, route and all;
 * other apps' dynos are left as they run. No Docker; the state store is real.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cutRelease } from '../services/releases.js';
import { insertApp, upsertFormation, type AppRow } from '../store/apps.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';

let fake: FakePlatform;
const apps: Record<string, AppRow> = {};

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { bootTimeoutMs: 500 });
  const owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
  for (const name of ['kept', 'gone']) {
    const app = (await insertApp(fake.platform.sql, name, owner.id))!;
    apps[name] = app;
    await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 2 });
    const release = { description: 'Deploy', image: `plat/${name}:v1`, processTypes: { web: 'serve' }, config: {} };
    await cutRelease(fake.platform, app, release);
  }
});
afterAll(async () => {
  await fake?.close();
});

it("removes the dynos and route of an app whose row is gone, and leaves other apps' dynos running", async () => {
  expect(fake.runtime.running('gone')).toEqual(['web.1@v2', 'web.2@v2']);
  // The row goes behind the controller's back, as a destroy would whose teardown never ran.
  await fake.platform.sql`delete from apps where id = ${apps.gone!.id}`;
  fake.journal.splice(0);
  await fake.platform.controller.convergeAll();
  expect(fake.runtime.running('gone')).toEqual([]);
  expect(fake.router.routeOf('gone')).toBeUndefined();
  expect(fake.runtime.running('kept')).toEqual(['web.1@v2', 'web.2@v2']);
  expect(fake.journal.filter((entry) => entry.includes('kept'))).toEqual([]);
});
