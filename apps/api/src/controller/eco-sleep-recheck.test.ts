/**
 * An eco app asked again just before it goes to sleep: a request that came
 * after the pass listed it idle keeps it awake.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { cutRelease } from '../services/releases.js';
import { insertApp, upsertFormation, type AppRow } from '../store/apps.js';
import { sleepingSince } from '../store/eco-sleep.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';

let fake: FakePlatform;
const apps: AppRow[] = [];

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { bootTimeoutMs: 500, ecoSleepMs: 1 });
  const owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
  for (const name of ['quiet', 'busy']) {
    const app = (await insertApp(fake.platform.sql, name, owner.id))!;
    apps.push(app);
    await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 1, size: 'eco' });
    const release = { description: 'Deploy', image: `plat/${name}:v1`, processTypes: { web: 'serve' }, config: {} };
    await cutRelease(fake.platform, app, release);
  }
});
afterAll(async () => {
  await fake?.close();
});

it('keeps awake an app whose request came while the pass was under way', async () => {
  const idleSince = Date.now() - 120_000;
  let asked = 0;
  // busy: idle when the pass lists the apps, then a request arrives before its turn.
  const lastWritten = vi.spyOn(fake.platform.routerLogs, 'lastWrittenAt').mockImplementation((app: string) => {
    if (app !== 'busy') return idleSince;
    asked += 1;
    // Ahead of the clock: however soon the re-check runs, it is after this request.
    return asked === 1 ? idleSince : Date.now() + 60_000;
  });
  try {
    await fake.platform.eco.check();
  } finally {
    lastWritten.mockRestore();
  }
  expect(asked).toBeGreaterThan(1);
  expect(await sleepingSince(fake.platform.sql, apps[0]!.id)).toBeInstanceOf(Date);
  expect(await sleepingSince(fake.platform.sql, apps[1]!.id)).toBeUndefined();
  expect(fake.runtime.running('busy')).toEqual(['web.1@v2']);
});
