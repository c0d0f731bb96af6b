/**
 * Metrics and live events through the API, over the in-memory runtime: the
 * fake feeds stats samples, the sampler's ticks store them, and the routes
 * answer with fastify's inject() or, for the streams, a real listener.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAdminToken } from '../admin-token.js';
import { LiveStreams } from '../events/live-streams.js';
import type { ContainerStats } from '../metrics/container-stats.js';
import { changeConfig } from '../services/config-vars.js';
import { insertApp, type AppRow } from '../store/apps.js';
import type { MetricPoint } from '../metrics/rollup.js';
import { insertPoints, readPoints } from '../store/metrics.js';
import { createTokenRow, ensureUser, type User } from '../store/users.js';
import { backends } from '../testing/backends.js';
import { startFakePlatform, type FakePlatform } from '../testing/fake-platform.js';
import { buildServer } from './server.js';
import { routerLine } from '../testing/router-lines.js';

let fake: FakePlatform;
let server: FastifyInstance;
let token: string;
let admin: User;
let app: AppRow;
let base: string;
/** A user who is not an admin, and owns no app here. */
let mallory: { user: User; token: string };

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
  const user = await ensureUser(fake.platform.sql, 'mallory@example.com', false);
  mallory = { user, token: (await createTokenRow(fake.platform.sql, user.id, { description: 'test' })).token };
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
    // A minute into the last finished 5-minute bucket: both ticks fall in one bucket, whenever this runs.
    const now = Math.floor(Date.now() / 300_000) * 300_000 - 240_000;
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

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An open stream read in the background: its text so far, and whether the server ended it. */
function openStream(url: string, bearer = token) {
  const abort = new AbortController();
  const state = { text: '', status: 0, ended: false };
  const done = (async () => {
    try {
      const response = await fetch(`${base}${url}`, {
        headers: { authorization: `Bearer ${bearer}` },
        signal: abort.signal,
      });
      state.status = response.status;
      for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) state.text += chunk;
      state.ended = true;
    } catch {
      // Aborted by the test.
    }
  })();
  return {
    state,
    connected: () => until(`${url} to connect`, () => state.text.includes(': connected') || state.ended),
    close: async () => {
      abort.abort();
      await done;
    },
  };
}

const call = (method: 'POST' | 'DELETE', url: string, bearer: string, body?: unknown) =>
  server.inject({
    method,
    url,
    headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { payload: JSON.stringify(body) } : {}),
  });

describe('access to live views and data', () => {
  it("refuses a user another owner's app: events, log stream, metrics and backups", async () => {
    for (const url of [
      '/v1/apps/measured/events',
      '/v1/apps/measured/log-stream',
      '/v1/apps/measured/logs?tail=true',
      '/v1/apps/measured/metrics',
      '/v1/apps/measured/pg/backups/b001/download',
    ]) {
      const response = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${mallory.token}` } });
      expect([url, response.status]).toEqual([url, 403]);
      expect((await response.json()).id).toBe('forbidden');
    }
    expect(fake.platform.streams.size).toBe(0);
  });
});

describe('streams end with their app', () => {
  it('ends the streams of a destroyed app, and reads nothing of the next app of that name', async () => {
    expect((await call('POST', '/v1/apps', token, { name: 'foo' })).statusCode).toBe(201);
    const first = (await get('/v1/apps/foo')).json();
    const path = fake.platform.routerLogs.pathOf('foo');
    mkdirSync(dirname(path), { recursive: true });
    const logs = openStream('/v1/apps/foo/log-stream');
    const events = openStream('/v1/apps/foo/events');
    const tail = openStream('/v1/apps/foo/logs?tail=true');
    await logs.connected();
    await events.connected();
    await until('the tail to subscribe', () => fake.platform.logs.subscribers(first.id) === 2);
    appendFileSync(path, routerLine('/mine'));
    await until('the router line', () => logs.state.text.includes('/mine') && tail.state.text.includes('/mine'));

    expect((await call('DELETE', '/v1/apps/foo?confirm=foo', token)).statusCode).toBe(204);
    await until('the streams to end', () => logs.state.ended && events.state.ended && tail.state.ended);
    expect(fake.platform.streams.size).toBe(0);
    expect(fake.platform.events.subscribers(first.id)).toBe(0);

    const bob = await ensureUser(fake.platform.sql, 'bob@example.com', false);
    const bobToken = (await createTokenRow(fake.platform.sql, bob.id, { description: 'test' })).token;
    expect((await call('POST', '/v1/apps', bobToken, { name: 'foo' })).statusCode).toBe(201);
    const second = (await get('/v1/apps/foo')).json();
    appendFileSync(fake.platform.routerLogs.pathOf('foo'), routerLine('/theirs'));
    fake.platform.logs.write(second.id, { source: 'app', dyno: 'web.1', line: 'their secret' });
    fake.platform.routerLogs.poll();
    for (const stream of [logs, events, tail]) {
      expect(stream.state.text).not.toContain('/theirs');
      expect(stream.state.text).not.toContain('their secret');
      await stream.close();
    }
  });

  it('ends the streams of a renamed app', async () => {
    expect((await call('POST', '/v1/apps', token, { name: 'before-rename' })).statusCode).toBe(201);
    const logs = openStream('/v1/apps/before-rename/log-stream');
    const events = openStream('/v1/apps/before-rename/events');
    await logs.connected();
    await events.connected();
    const renamed = await server.inject({
      method: 'PATCH',
      url: '/v1/apps/before-rename',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'after-rename' }),
    });
    expect(renamed.statusCode).toBe(200);
    await until('the streams to end', () => logs.state.ended && events.state.ended);
    expect(fake.platform.streams.size).toBe(0);
  });
});

describe('stream limits and clean-up', () => {
  it('frees everything of a client that leaves while the recent lines are read', async () => {
    const recent = fake.platform.logs.recent.bind(fake.platform.logs);
    let reading!: () => void;
    const gate = new Promise<void>((resolve) => (reading = resolve));
    let entered = false;
    fake.platform.logs.recent = async (...args) => {
      entered = true;
      await gate;
      return recent(...args);
    };
    try {
      // A connection of its own (fetch may reuse a pooled one), so the server's side of it can be watched.
      const accepted: Socket[] = [];
      const track = (socket: Socket) => accepted.push(socket);
      server.server.on('connection', track);
      const client = connect(Number(new URL(base).port), '127.0.0.1');
      client.write(
        `GET /v1/apps/measured/log-stream HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer ${token}\r\n\r\n`,
      );
      await until('the handler to read the recent lines', () => entered);
      client.destroy();
      // The server sees the client gone before the reply is hijacked.
      await until('the socket to close', () => accepted.length > 0 && accepted.every((socket) => socket.destroyed));
      server.server.off('connection', track);
      reading();
      await until('the stream place to be freed', () => fake.platform.streams.size === 0);
      expect(fake.platform.logs.subscribers(app.id)).toBe(0);
    } finally {
      fake.platform.logs.recent = recent;
    }
    const events = openStream('/v1/apps/measured/events');
    await events.connected();
    expect(fake.platform.events.subscribers(app.id)).toBe(1);
    await events.close();
    await until('the subscriber to leave', () => fake.platform.events.subscribers(app.id) === 0);
    expect(fake.platform.streams.size).toBe(0);
  });

  it('refuses more than 10 streams of one user with 429 rate_limited', async () => {
    const open = Array.from({ length: 10 }, () => openStream('/v1/apps/measured/events'));
    try {
      for (const stream of open) await stream.connected();
      const refused = await fetch(`${base}/v1/apps/measured/events`, { headers: { authorization: `Bearer ${token}` } });
      expect(refused.status).toBe(429);
      const body = await refused.json();
      expect(body.id).toBe('rate_limited');
      expect(body.message).toMatch(/10 live streams/);
    } finally {
      for (const stream of open) await stream.close();
    }
    await until('the places to be freed', () => fake.platform.streams.size === 0);
  });
});

describe('metrics limits', () => {
  it('refuses a since and step that give too many points per series, naming them', async () => {
    const fine = await get('/v1/apps/measured/metrics?since=26h&step=10');
    expect(fine.statusCode).toBe(422);
    expect(fine.json().message).toMatch(/since=.*step=10.*at most since=25h.*step=300/);
    // All the store keeps, 30 days at 5 minutes, can be asked for.
    expect((await get('/v1/apps/measured/metrics?since=30d')).json().step).toBe(300);
    // A default step fits: 12 h at 5 minutes.
    expect((await get('/v1/apps/measured/metrics?since=12h')).json().step).toBe(300);
    expect((await get('/v1/apps/measured/metrics?since=5h')).json().step).toBe(10);
  });

  it('keeps the newest points, whole times only, past the row limit', async () => {
    const other = (await insertApp(fake.platform.sql, 'many-points', admin.id))!;
    const start = Date.now() - 3600_000;
    const points: MetricPoint[] = [];
    for (let i = 0; i < 5; i += 1)
      for (const name of ['web.1', 'web.2'])
        points.push({
          app_id: other.id,
          at: new Date(start + i * 10_000),
          step: 10,
          kind: 'dyno',
          type: 'web',
          name,
          cpu_percent: i,
          memory_bytes: 1,
          memory_limit_bytes: 2,
          rx_bytes: 0,
          tx_bytes: 0,
          restarts: 0,
        });
    await insertPoints(fake.platform.sql, points);
    const read = await readPoints(fake.platform.sql, other.id, { since: new Date(start - 1), step: 10, limit: 5 });
    // The newest five rows hold times 4, 3 and half of 2: the half is left out.
    expect(read.map((point) => [point.cpu_percent, point.name])).toEqual([
      [3, 'web.1'],
      [3, 'web.2'],
      [4, 'web.1'],
      [4, 'web.2'],
    ]);
  });
});

describe('shutdown', () => {
  it('closes with streams open, at once', async () => {
    const own = await buildServer(fake.platform);
    await own.listen({ port: 0, host: '127.0.0.1' });
    const port = (own.server.address() as AddressInfo).port;
    const abort = new AbortController();
    const before = fake.platform.streams.size;
    try {
      const response = await fetch(`http://127.0.0.1:${port}/v1/apps/measured/events`, {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      });
      expect(response.status).toBe(200);
      await until('a stream to be open', () => fake.platform.streams.size === before + 1);
      const closing = own.close();
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('close hangs')), 3_000));
      await Promise.race([closing, timeout]);
      expect(fake.platform.streams.size).toBe(0);
    } finally {
      abort.abort();
      // Later tests of this platform (none yet) get a fresh registry: closeAll refuses new streams for good.
      fake.platform.streams = new LiveStreams();
    }
  });
});
