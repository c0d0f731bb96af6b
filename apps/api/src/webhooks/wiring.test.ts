/**
 * The emitters wired into platd, over the in-memory runtime: a release, a
 * dyno starting and crashing, and a crash loop reach an app's webhook as
 * api:release, dyno and alert events, and the crash loop opens an alert.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../../test/support/until.js';
import { alertCheckFor } from '../alerts/alert-check.js';
import { cutRelease, releaseConfig } from '../services/releases.js';
import { listAlerts } from '../store/alerts.js';
import { insertApp, updateConfigVars, upsertFormation, type AppRow } from '../store/apps.js';
import { ensureUser } from '../store/users.js';
import { insertWebhook } from '../store/webhooks.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';

interface Event {
  resource: string;
  action: string;
  data: Record<string, unknown>;
}

let fake: FakePlatform;
let app: AppRow;
let http: Server;
const events: Event[] = [];
/** The version the deploy below made: the releases before it had no image. */
let deployed = 0;

beforeAll(async () => {
  http = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk));
    request.on('end', () => {
      events.push(JSON.parse(body) as Event);
      response.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  fake = await startFakePlatform(backends[0]!, {
    webhooks: { allowPrivate: true, retryBaseMs: 100, timeoutMs: 2000 },
  });
  const owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
  app = (await insertApp(fake.platform.sql, 'hooked', owner.id))!;
  await insertWebhook(fake.platform.sql, {
    appId: app.id,
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/`,
    include: ['api:release', 'dyno', 'alert'],
    level: 'sync',
    secret: 'x',
  });
  fake.platform.webhooks.start();
});
afterAll(async () => {
  await fake?.platform.webhooks.stop();
  await fake?.close();
  await new Promise((resolve) => http?.close(resolve));
});

describe('webhook events from platd', () => {
  it('sends a release with no image (config before the first deploy) as made and succeeded, and no dyno', async () => {
    await updateConfigVars(fake.platform.sql, app.id, { GREETING: 'hi' });
    const release = await releaseConfig(fake.platform, app, 'Set GREETING');
    await until('two events', async () => events.length >= 2, 10_000);
    // Delivered in no set order.
    const sorted = [...events].sort((a, b) => a.action.localeCompare(b.action));
    expect(sorted.map((event) => [event.resource, event.action, event.data.status, event.data.image])).toEqual([
      ['release', 'create', 'pending', null],
      ['release', 'update', 'succeeded', null],
    ]);
    expect(sorted[1]!.data).toMatchObject({ version: release.version, description: 'Set GREETING', build: null });
    expect(release.version).toBe(2);
    events.length = 0;
  });

  it('sends a release as it is made and once it succeeds, and each dyno it starts', async () => {
    await upsertFormation(fake.platform.sql, app.id, { type: 'worker', quantity: 1 });
    const release = await cutRelease(fake.platform, app, {
      description: 'Deploy v1',
      image: 'plat/x-hooked:v1',
      processTypes: { worker: 'work' },
      config: {},
    });
    await until('three events', async () => events.length >= 3, 10_000);
    const sorted = [...events].sort((a, b) => `${a.resource}${a.action}`.localeCompare(`${b.resource}${b.action}`));
    expect(sorted).toEqual([
      expect.objectContaining({
        resource: 'dyno',
        action: 'create',
        data: expect.objectContaining({ name: 'worker.1', state: 'starting', release: { id: release.id } }),
      }),
      expect.objectContaining({
        resource: 'release',
        action: 'create',
        data: expect.objectContaining({ version: release.version, status: 'pending' }),
      }),
      expect.objectContaining({
        resource: 'release',
        action: 'update',
        data: expect.objectContaining({ version: release.version, status: 'succeeded', current: true }),
      }),
    ]);
    deployed = release.version;
  });

  it('sends each crash, and opens a crash loop alert after the third in a row', async () => {
    events.length = 0;
    const { controller } = fake.platform;
    const running = async () => fake.runtime.running('hooked').includes(`worker.1@v${deployed}`);
    for (let crash = 1; crash <= 3; crash += 1) {
      await until(`worker.1 running before crash ${crash}`, running, 10_000);
      fake.runtime.crash('hooked', 'worker.1');
      await until(`crash ${crash} seen`, async () => controller.crashLoops(Date.now(), crash).length === 1, 5_000);
    }
    expect(controller.crashLoops(Date.now())).toEqual([{ app: 'hooked', dyno: 'worker.1', restarts: 3, exitCode: 1 }]);

    const check = alertCheckFor(fake.platform);
    await check.check();
    await check.check();
    const [alert] = await listAlerts(fake.platform.sql, { appIds: [app.id], resolved: false, limit: 10 });
    expect(alert).toMatchObject({ kind: 'crash_loop', subject: 'worker.1', resolved_at: null });
    const lines = await fake.platform.logs.recent(app, { lines: 100, filter: {} });
    expect(lines.filter((line) => line.line.startsWith('ALERT crash_loop worker.1')).map((line) => line.dyno)).toEqual([
      'alerts',
    ]);
    await until(
      'the crash and alert events',
      async () => {
        const crashes = events.filter((event) => event.resource === 'dyno' && event.data.state === 'crashed');
        return crashes.length === 3 && events.some((event) => event.resource === 'alert');
      },
      10_000,
    );
    expect(events.filter((event) => event.resource === 'alert')).toEqual([
      expect.objectContaining({
        action: 'create',
        data: expect.objectContaining({ kind: 'crash_loop', state: 'open' }),
      }),
    ]);
  });
});
