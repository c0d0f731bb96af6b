import { PassThrough } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EventBus } from './event-bus.js';
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
