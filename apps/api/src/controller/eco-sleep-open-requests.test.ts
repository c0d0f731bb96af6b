/**
 * A request still open (a stream, a websocket) is in no router log line
 * until it ends: the router's connections to the app's dynos keep it awake
 * while bytes move on them.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dynoAddress } from '../router/nginx-config.js';
import { cutRelease } from '../services/releases.js';
import { clearSleeping, sleepingSince } from '../store/eco-sleep.js';
import { insertApp, upsertFormation, type AppRow } from '../store/apps.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { EcoSleep } from './eco-sleep.js';

let fake: FakePlatform;
const apps: Record<string, AppRow> = {};
const SLEEP_MS = 60_000;

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { bootTimeoutMs: 500 });
  const owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
  for (const name of ['quiet', 'streaming', 'recent']) {
    const app = (await insertApp(fake.platform.sql, name, owner.id))!;
    apps[name] = app;
    await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 1, size: 'eco' });
    const release = { description: 'Deploy', image: `plat/${name}:v1`, processTypes: { web: 'serve' }, config: {} };
    await cutRelease(fake.platform, app, release);
  }
});
afterAll(async () => {
  await fake?.close();
});

/** The sleep checker's clock: it starts at START, and its checks run at CHECK, twice the idle time later. */
const START = Date.now();
const CHECK = START + 2 * SLEEP_MS;

function sleeper(dynoTraffic: (peers: string[]) => Promise<Map<string, number>>, lines: string[]): EcoSleep {
  let clock = START;
  const eco = new EcoSleep({
    sql: fake.platform.sql,
    controller: fake.platform.controller,
    sleepMs: SLEEP_MS,
    // Every app's last finished request was at the start, but recent's, just before the check.
    lastRequestAt: (app) => (app === 'recent' ? CHECK - 1_000 : START),
    now: () => clock,
    dynoTraffic,
    log: (line) => lines.push(line),
  });
  clock = CHECK;
  return eco;
}

it('keeps awake the app whose dyno has bytes moving on an open request, and asks only about idle apps', async () => {
  const streamingPeers = fake.platform.controller.routeOf('streaming')!.dynos.map(dynoAddress);
  const recentPeers = fake.platform.controller.routeOf('recent')!.dynos.map(dynoAddress);
  const quietPeers = fake.platform.controller.routeOf('quiet')!.dynos.map(dynoAddress);
  expect([streamingPeers, recentPeers, quietPeers].map((peers) => peers.length)).toEqual([1, 1, 1]);
  const asked: string[][] = [];
  const eco = sleeper(async (peers) => {
    asked.push(peers);
    return new Map(streamingPeers.map((peer) => [peer, CHECK - 1_000]));
  }, []);
  await eco.check();
  expect(await sleepingSince(fake.platform.sql, apps.quiet!.id)).toBeInstanceOf(Date);
  expect(await sleepingSince(fake.platform.sql, apps.streaming!.id)).toBeUndefined();
  expect(fake.runtime.running('streaming')).toEqual(['web.1@v2']);
  expect(await sleepingSince(fake.platform.sql, apps.recent!.id)).toBeUndefined();
  // The pass asks once about the apps idle by their logs, then again about each just before it sleeps.
  expect(asked).toEqual([expect.arrayContaining([...streamingPeers, ...quietPeers]), quietPeers]);
  for (const peers of asked) for (const peer of recentPeers) expect(peers).not.toContain(peer);
  await clearSleeping(fake.platform.sql, apps.quiet!.id);
  await fake.platform.controller.converge('quiet');
});

it('puts the app to sleep once its open request has been silent for the idle time', async () => {
  const streamingPeers = fake.platform.controller.routeOf('streaming')!.dynos.map(dynoAddress);
  const eco = sleeper(async () => new Map(streamingPeers.map((peer) => [peer, CHECK - SLEEP_MS])), []);
  await eco.check();
  expect(await sleepingSince(fake.platform.sql, apps.streaming!.id)).toBeInstanceOf(Date);
  await clearSleeping(fake.platform.sql, apps.streaming!.id);
  await fake.platform.controller.converge('streaming');
});

it('keeps awake an app whose request opened after the pass listed it idle', async () => {
  const streamingPeers = fake.platform.controller.routeOf('streaming')!.dynos.map(dynoAddress);
  let asked = 0;
  // Quiet when the pass lists the apps; a stream has opened by the time streaming's turn comes.
  const eco = sleeper(async (peers) => {
    asked += 1;
    const opened = asked > 1 && peers.some((peer) => streamingPeers.includes(peer));
    return new Map(opened ? streamingPeers.map((peer) => [peer, CHECK]) : []);
  }, []);
  await eco.check();
  expect(await sleepingSince(fake.platform.sql, apps.streaming!.id)).toBeUndefined();
  expect(await sleepingSince(fake.platform.sql, apps.quiet!.id)).toBeInstanceOf(Date);
  await clearSleeping(fake.platform.sql, apps.quiet!.id);
  await fake.platform.controller.converge('quiet');
});

it('falls back to the router logs when the socket table cannot be read, and says so', async () => {
  const lines: string[] = [];
  const eco = sleeper(async () => {
    throw new Error('ss: not found');
  }, lines);
  await eco.check();
  expect(await sleepingSince(fake.platform.sql, apps.streaming!.id)).toBeInstanceOf(Date);
  expect(lines.join('\n')).toContain("could not read the router's connections: ss: not found");
});
