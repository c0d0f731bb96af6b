/**
 * Metrics and live events through the API, over the in-memory runtime: the
 * fake feeds stats samples, the sampler's ticks store them, and the routes
 * answer with fastify's inject() or, for the streams, a real listener.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../admin-token.js';
import type { ContainerStats } from '../metrics/container-stats.js';
import { changeConfig } from '../services/config-vars.js';
import { insertApp, type AppRow } from '../store/apps.js';
import { ensureUser, type User } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { buildServer } from './server.js';

let fake: FakePlatform;
let server: FastifyInstance;
let token: string;
let admin: User;
let app: AppRow;
let base: string;

const MB = 1024 ** 2;

function sample(name: string, at: Date, memoryMb: number, extra: Partial<ContainerStats> = {}): ContainerStats {
  return {
    containerId: `c-${name}`,
    kind: 'dyno',
    appId: app.id,
    app: app.name,
    type: name.split('.')[0]!,
    name,
    releaseId: 'r1',
    at,
    cpu: { total: 2e9, system: 20e9, onlineCpus: 1 },
    precpu: { total: 1e9, system: 10e9 },
    memory: { usage: memoryMb * MB, inactiveFile: 0, limit: 512 * MB },
    network: { rx: 10, tx: 20 },
    ...extra,
  };
}

function feed(stats: ContainerStats): void {
  for (const watcher of fake.runtime.statsWatchers) watcher.onSample(stats);
}

beforeAll(async () => {
  fake = await startFakePlatform(backends[0]!);
  server = await buildServer(fake.platform);
  ({ token } = await ensureAdminToken(fake.platform.sql, fake.platform.settings.dataDir));
  admin = await ensureUser(fake.platform.sql, 'admin@plat.local', true);
  app = (await insertApp(fake.platform.sql, 'measured', admin.id))!;
  fake.platform.logs.knowApp(app.name, app.id);
  await fake.platform.metrics.start();
  await server.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await fake?.platform.metrics.stop();
  await server?.close();
  await fake?.close();
});

const get = (url: string, bearer = token) =>
  server.inject({ method: 'GET', url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });

/** Reads an SSE response until `done` says the text so far is enough, within a bound. */
async function readStream(
  url: string,
  options: { whenOpen?: () => Promise<void>; done: (text: string) => boolean },
): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 10_000);
  try {
    const response = await fetch(`${base}${url}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    let text = '';
    let opened = false;
    for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (!opened && text.includes(': connected')) {
        opened = true;
        await options.whenOpen?.();
      }
      if (options.done(text)) break;
    }
    return text;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

describe('metrics', () => {
  it('stores one point per container per tick, and serves them per dyno', async () => {
    const now = Date.now();
    feed(sample('web.1', new Date(now - 2000), 100));
    feed(sample('worker.1', new Date(now - 1000), 50));
    await fake.platform.metrics.tick(new Date(now));
    feed(sample('web.1', new Date(now + 8000), 120));
    await fake.platform.metrics.tick(new Date(now + 10_000));

    const response = await get('/v1/apps/measured/metrics?since=10m');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.step).toBe(10);
    expect(body.series.map((s: { name: string; points: unknown[] }) => [s.name, s.points.length])).toEqual([
      ['web.1', 2],
      ['worker.1', 2],
    ]);
    expect(body.series[0].points[1]).toMatchObject({
      memory_bytes: 120 * MB,
      memory_limit_bytes: 512 * MB,
      cpu_percent: 10,
      rx_bytes: 10,
      tx_bytes: 20,
    });
    const web = (await get('/v1/apps/measured/metrics?since=10m&type=web')).json();
    expect(web.series.map((s: { name: string }) => s.name)).toEqual(['web.1']);
  });

  it('rolls finished 5-minute buckets up, and prunes each resolution after its time', async () => {
    const later = Date.now() + 10 * 60_000;
    feed(sample('web.1', new Date(later), 300));
    await fake.platform.metrics.tick(new Date(later));
    const coarse = (await get('/v1/apps/measured/metrics?since=1h&step=300')).json();
    expect(coarse.step).toBe(300);
    const web = coarse.series.find((s: { name: string }) => s.name === 'web.1');
    // The two points of the first test, rolled into their bucket: memory at its peak.
    expect(web.points[0]).toMatchObject({ memory_bytes: 120 * MB, cpu_percent: 10 });
    const count = async (step: number) =>
      Number((await fake.platform.sql`select count(*) from metric_samples where step = ${step}`)[0]!.count);
    expect(await count(10)).toBeGreaterThan(0);
    await fake.platform.metrics.prune(new Date(Date.now() + 25 * 3600_000));
    expect(await count(10)).toBe(0);
    expect(await count(300)).toBeGreaterThan(0);
    await fake.platform.metrics.prune(new Date(Date.now() + 31 * 24 * 3600_000));
    expect(await count(300)).toBe(0);
  });

  it('refuses a bad query, and an app the user may not see', async () => {
    expect((await get('/v1/apps/measured/metrics?step=60')).statusCode).toBe(422);
    expect((await get('/v1/apps/measured/metrics?since=yesterday')).statusCode).toBe(422);
    expect((await get('/v1/apps/measured/metrics?since=2026-13-99T99:00:00Z')).statusCode).toBe(422);
    expect((await get('/v1/apps/measured/metrics', '')).statusCode).toBe(401);
    expect((await get('/v1/apps/nothing-here/metrics')).statusCode).toBe(404);
  });

  it('logs R14 once a minute for a dyno at its limit, and R15 when it is killed for memory', async () => {
    const now = Date.now();
    feed(sample('web.1', new Date(now), 500));
    await fake.platform.metrics.tick(new Date(now));
    feed(sample('web.1', new Date(now + 10_000), 510));
    await fake.platform.metrics.tick(new Date(now + 10_000));
    for (const watcher of fake.runtime.statsWatchers) watcher.onOom(sample('web.1', new Date(), 0));
    const lines = await fake.platform.logs.recent(app, { lines: 100, filter: { source: 'plat' } });
    const r14 = lines.filter((line) => line.line.startsWith('Error R14 (Memory quota exceeded)'));
    expect(r14.map((line) => [line.dyno, line.line])).toEqual([
      ['web.1', 'Error R14 (Memory quota exceeded): 500MB of 512MB'],
    ]);
    expect(
      lines.some((line) => line.dyno === 'web.1' && line.line.startsWith('Error R15 (Memory quota vastly exceeded)')),
    ).toBe(true);
  });
});

describe('live events', () => {
  it('streams a config change and its release as they happen', async () => {
    const text = await readStream('/v1/apps/measured/events', {
      whenOpen: async () => {
        await changeConfig(fake.platform, app, admin, { GREETING: 'hello' });
      },
      done: (so) => so.includes('event: release') && so.includes('event: config'),
    });
    const config = /event: config\ndata: (.*)\n/.exec(text)!;
    expect(JSON.parse(config[1]!)).toMatchObject({ type: 'config', action: 'update', data: { keys: ['GREETING'] } });
    expect(text).not.toContain('hello');
    const release = /event: release\ndata: (.*)\n/.exec(text)!;
    expect(JSON.parse(release[1]!)).toMatchObject({ type: 'release', action: 'create' });
  });

  it('needs a token and access to the app', async () => {
    expect((await fetch(`${base}/v1/apps/measured/events`)).status).toBe(401);
    const other = await fetch(`${base}/v1/apps/nothing-here/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(other.status).toBe(404);
  });

  it('streams recent log lines, then new ones', async () => {
    fake.platform.logs.write(app.id, { source: 'app', dyno: 'web.1', line: 'before <script>' });
    const text = await readStream('/v1/apps/measured/log-stream?source=app', {
      whenOpen: async () => {
        fake.platform.logs.write(app.id, { source: 'app', dyno: 'web.1', line: 'after' });
        fake.platform.logs.write(app.id, { source: 'plat', dyno: 'api', line: 'filtered out' });
      },
      done: (so) => so.includes('"after"'),
    });
    const lines = [...text.matchAll(/event: log\ndata: (.*)\n/g)].map((match) => JSON.parse(match[1]!).line);
    expect(lines.slice(-2)).toEqual(['before <script>', 'after']);
    expect(text).not.toContain('filtered out');
  });

  it('is in the OpenAPI document', async () => {
    const document = (await get('/v1/openapi.json')).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/apps/{app}/metrics', '/v1/apps/{app}/events', '/v1/apps/{app}/log-stream']),
    );
    expect(Object.keys(document.paths['/v1/apps/{app}/events'].get.responses['200'].content)).toEqual([
      'text/event-stream',
    ]);
  });
});
