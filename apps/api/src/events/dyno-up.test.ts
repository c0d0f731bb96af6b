/**
 * The live `up` of a dyno, over the in-memory runtime and router with the
 * real controller: a web dyno is up once it answers and is routed, a worker
 * once started; a web dyno that never answers is never up; the `dyno`
 * webhook is not told.
 */
import type { AppEvent } from '@plat/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cutRelease } from '../services/releases.js';
import { insertApp, upsertFormation, type AppRow } from '../store/apps.js';
import { ensureUser } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';

let fake: FakePlatform;
let app: AppRow;

/** Each dyno event as `web.1 up`, with whether the router served that dyno when it came. */
interface Seen {
  text: string;
  routed: boolean;
}

function watch(): { seen: Seen[]; stop: () => void } {
  const seen: Seen[] = [];
  const stop = fake.platform.events.subscribe(app.id, (event: AppEvent) => {
    if (event.type !== 'dyno') return true;
    const name = String(event.data.name);
    // The router's backends as `web.1@v2`.
    const routed = fake.router.backends(app.name).some((backend) => backend.split('@')[0] === name);
    seen.push({ text: `${name} ${String(event.data.state)}`, routed });
    return true;
  });
  return { seen, stop };
}

function deploy(version: number) {
  return cutRelease(fake.platform, app, {
    description: `Deploy v${version}`,
    image: `plat/x-lively:v${version}`,
    processTypes: { web: 'serve', worker: 'work' },
    config: {},
  });
}

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!, { bootTimeoutMs: 500 });
  const owner = await ensureUser(fake.platform.sql, 'owner@example.com', false);
  app = (await insertApp(fake.platform.sql, 'lively', owner.id))!;
  await upsertFormation(fake.platform.sql, app.id, { type: 'web', quantity: 1, size: 'basic' });
  await upsertFormation(fake.platform.sql, app.id, { type: 'worker', quantity: 1, size: 'basic' });
});
afterAll(async () => {
  await fake?.close();
});

describe('dyno up events', () => {
  it('says a worker is up once started and a web dyno once it answers and is routed', async () => {
    const emit = vi.spyOn(fake.platform.webhooks, 'emit');
    const { seen, stop } = watch();
    try {
      expect((await deploy(2)).status).toBe('succeeded');
    } finally {
      stop();
    }
    const texts = seen.map((s) => s.text);
    expect(texts).toEqual(expect.arrayContaining(['web.1 starting', 'web.1 up', 'worker.1 starting', 'worker.1 up']));
    expect(texts.indexOf('web.1 up')).toBeGreaterThan(texts.indexOf('web.1 starting'));
    expect(texts.indexOf('worker.1 up')).toBeGreaterThan(texts.indexOf('worker.1 starting'));
    expect(seen.find((s) => s.text === 'web.1 up')?.routed).toBe(true);
    // The webhook keeps its states: starting, crashed, sleeping.
    const states = emit.mock.calls.filter(([e]) => e.include === 'dyno').map(([e]) => e.data.state);
    expect(states).toContain('starting');
    expect(states).not.toContain('up');
    emit.mockRestore();
  });

  it('never says up for a web dyno that does not answer', async () => {
    fake.runtime.behaviour = (spec) => (spec.web ? 'silent' : 'serve');
    const { seen, stop } = watch();
    try {
      await expect(deploy(3)).rejects.toThrow(/R10/);
    } finally {
      stop();
      fake.runtime.behaviour = () => 'serve';
    }
    const texts = seen.map((s) => s.text);
    expect(texts).toContain('web.1 starting');
    expect(texts).not.toContain('web.1 up');
  });
});
