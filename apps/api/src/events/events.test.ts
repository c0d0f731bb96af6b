import { PassThrough } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EventBus } from './event-bus.js';
import { LiveStreams } from './live-streams.js';
import { SseStream, sseMessage } from './sse-stream.js';

describe('event bus', () => {
  it("delivers an app's events to its subscribers only, in order, from the webhook tap too", () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const other: string[] = [];
    bus.subscribe('a', (event) => seen.push(`${event.seq}:${event.type}.${event.action}`) > 0);
    bus.subscribe('b', (event) => other.push(event.type) > 0);
    bus.fromWebhook({ app: { id: 'a', name: 'one' }, include: 'api:release', action: 'create', data: { version: 2 } });
    bus.publish('a', { type: 'config', action: 'update', data: { keys: ['FOO'] } });
    expect(seen).toEqual(['1:release.create', '2:config.update']);
    expect(other).toEqual([]);
  });

  it('drops a subscriber that is behind, or throws, without stopping the others', () => {
    const bus = new EventBus();
    let dropped = 0;
    let fine = 0;
    bus.subscribe(
      'a',
      () => false,
      () => (dropped += 1),
    );
    bus.subscribe(
      'a',
      () => {
        throw new Error('broken');
      },
      () => (dropped += 1),
    );
    bus.subscribe('a', () => ++fine > 0);
    bus.publish('a', { type: 'dyno', action: 'update', data: {} });
    bus.publish('a', { type: 'dyno', action: 'update', data: {} });
    expect(dropped).toBe(2);
    expect(fine).toBe(2);
    expect(bus.subscribers('a')).toBe(1);
  });

  it("numbers each app's events on its own: no subscriber sees how busy other apps are", () => {
    const bus = new EventBus();
    const seqs: number[] = [];
    bus.subscribe('a', (event) => seqs.push(event.seq) > 0);
    bus.publish('a', { type: 'config', action: 'update', data: {} });
    for (let i = 0; i < 5; i += 1) bus.publish('b', { type: 'config', action: 'update', data: {} });
    bus.publish('a', { type: 'config', action: 'update', data: {} });
    expect(seqs).toEqual([1, 2]);
  });

  it("ends an app's subscriptions, telling each (destroy and rename), and no others", () => {
    const bus = new EventBus();
    const ended: string[] = [];
    const seen: string[] = [];
    bus.subscribe(
      'a',
      () => seen.push('a') > 0,
      () => ended.push('a1'),
    );
    bus.subscribe(
      'a',
      () => seen.push('a') > 0,
      () => ended.push('a2'),
    );
    bus.subscribe(
      'b',
      () => seen.push('b') > 0,
      () => ended.push('b'),
    );
    bus.end('a');
    expect(ended).toEqual(['a1', 'a2']);
    bus.publish('a', { type: 'config', action: 'update', data: {} });
    bus.publish('b', { type: 'config', action: 'update', data: {} });
    expect(seen).toEqual(['b']);
    expect(bus.subscribers('a')).toBe(0);
  });

  it('forgets an app once its last subscriber leaves', () => {
    const bus = new EventBus();
    const unsubscribe = bus.subscribe('a', () => true);
    expect(bus.subscribers('a')).toBe(1);
    unsubscribe();
    expect(bus.subscribers('a')).toBe(0);
  });
});

/** A response stand-in: a stream with writeHead, whose reader may stop reading. */
function response(highWaterMark = 16): PassThrough & { headers?: Record<string, string> } {
  const out = new PassThrough({ highWaterMark }) as PassThrough & { headers?: Record<string, string> };
  Object.assign(out, {
    writeHead(_status: number, headers: Record<string, string>) {
      out.headers = headers;
    },
  });
  return out;
}

describe('server-sent events', () => {
  it('writes id, event and one data line per line of the payload', () => {
    expect(sseMessage({ id: 3, event: 'release', data: '{"a":1}' })).toBe('id: 3\nevent: release\ndata: {"a":1}\n\n');
    expect(sseMessage({ data: 'one\ntwo' })).toBe('data: one\ndata: two\n\n');
  });

  it('sends heartbeats, and refuses writes once the client has too much unread', async () => {
    const out = response();
    const stream = new SseStream(out as unknown as ServerResponse, { heartbeatMs: 5, maxBuffered: 200 });
    expect(out.headers?.['content-type']).toBe('text/event-stream; charset=utf-8');
    let received = '';
    await new Promise<void>((resolve) => {
      const read = (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes(': heartbeat\n\n')) {
          out.off('data', read);
          resolve();
        }
      };
      out.on('data', read);
    });
    expect(received.startsWith(': connected\n\n: heartbeat\n\n')).toBe(true);
    out.pause();
    let sent = 0;
    while (stream.send({ event: 'log', data: 'x'.repeat(40) })) sent += 1;
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(10);
    let closed = false;
    stream.onClose(() => (closed = true));
    stream.close();
    expect(closed).toBe(true);
    expect(stream.send({ data: 'late' })).toBe(false);
  });
});

describe('server-sent events, ending', () => {
  it('closes at once when the client left before the stream was made', () => {
    const out = response();
    out.destroy();
    const stream = new SseStream(out as unknown as ServerResponse, { heartbeatMs: 5 });
    expect(stream.closed).toBe(true);
    expect(out.headers).toBeUndefined();
    expect(stream.send({ data: 'x' })).toBe(false);
  });

  it('closes at a heartbeat when access is gone, or when the client read nothing for a whole heartbeat', async () => {
    let allowed = true;
    const checked = response();
    checked.resume();
    const stream = new SseStream(checked as unknown as ServerResponse, {
      heartbeatMs: 5,
      stillAllowed: async () => allowed,
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stream.closed).toBe(false);
    allowed = false;
    await new Promise<void>((resolve) => stream.onClose(resolve));

    const stuck = response();
    stuck.pause();
    const behind = new SseStream(stuck as unknown as ServerResponse, { heartbeatMs: 5, maxBuffered: 100 });
    while (behind.send({ data: 'x'.repeat(20) }));
    await new Promise<void>((resolve) => behind.onClose(resolve));
  });

  it('sends a burst at the pace the client reads, losing nothing', async () => {
    const out = response();
    out.pause();
    const stream = new SseStream(out as unknown as ServerResponse, { heartbeatMs: 60_000, maxBuffered: 200 });
    const sending = (async () => {
      for (let i = 0; i < 50; i += 1) expect(await stream.sendWhenReady({ data: `line ${i}` })).toBe(true);
    })();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    out.resume();
    await sending;
    stream.close();
    expect([...text.matchAll(/data: line (\d+)/g)].map((match) => Number(match[1]))).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});

describe('live streams', () => {
  const stream = () => {
    const callbacks: (() => void)[] = [];
    let closed = false;
    return {
      get closed() {
        return closed;
      },
      close() {
        closed = true;
        for (const callback of callbacks.splice(0)) callback();
      },
      onClose(callback: () => void) {
        callbacks.push(callback);
      },
    };
  };

  it('refuses past the per-user and the total limits with rate_limited, and frees places as streams close', () => {
    const streams = new LiveStreams({ perUser: 2, total: 3 });
    const a1 = stream();
    streams.reserve('alice').attach(a1);
    streams.reserve('alice').attach(stream());
    expect(() => streams.reserve('alice')).toThrow(expect.objectContaining({ id: 'rate_limited' }));
    const pending = streams.reserve('bob');
    expect(() => streams.reserve('carol')).toThrow(/most/);
    pending.release();
    a1.close();
    expect(streams.size).toBe(1);
    streams.reserve('alice').attach(stream());
    streams.reserve('carol');
    expect(streams.size).toBe(3);
  });

  it('closes every open stream at shutdown, and any attached later', () => {
    const streams = new LiveStreams();
    const open = [stream(), stream()];
    for (const one of open) streams.reserve('alice').attach(one);
    const late = streams.reserve('bob');
    streams.closeAll();
    expect(open.map((one) => one.closed)).toEqual([true, true]);
    const after = stream();
    late.attach(after);
    expect(after.closed).toBe(true);
    expect(streams.size).toBe(0);
  });
});
