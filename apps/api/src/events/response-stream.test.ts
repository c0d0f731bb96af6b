/**
 * The ending the live responses share (ResponseStream, used as is by the log
 * tail and inside SseStream): closed when the client leaves, before or after
 * it was made, or by close(); each callback once; the response ended.
 */
import type { ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ResponseStream } from './response-stream.js';
import { SseStream } from './sse-stream.js';

const asResponse = (out: PassThrough) => out as unknown as ServerResponse;

describe('a live response ending', () => {
  it('closes at once when the client left before it was made, and runs late callbacks at once', () => {
    const out = new PassThrough();
    out.destroy();
    let ending = 0;
    const stream = new ResponseStream(asResponse(out), () => (ending += 1));
    expect(stream.closed).toBe(true);
    expect(ending).toBe(1);
    let called = false;
    stream.onClose(() => (called = true));
    expect(called).toBe(true);
  });

  it('closes when the client leaves: the ending first, then each callback once, the response ended', async () => {
    const out = new PassThrough();
    const order: string[] = [];
    const stream = new ResponseStream(asResponse(out), () => order.push('ending'));
    stream.onClose(() => order.push('a'));
    const forgotten = () => order.push('forgotten');
    stream.onClose(forgotten);
    stream.offClose(forgotten);
    stream.onClose(() => order.push('b'));
    out.destroy();
    await new Promise<void>((resolve) => stream.onClose(resolve));
    stream.close();
    expect(order).toEqual(['ending', 'a', 'b']);
    expect(stream.closed).toBe(true);
  });

  it('ends the response on close(), once', () => {
    const out = new PassThrough();
    out.resume();
    const stream = new ResponseStream(asResponse(out));
    let closes = 0;
    stream.onClose(() => (closes += 1));
    stream.close();
    stream.close();
    expect(out.writableEnded).toBe(true);
    expect(closes).toBe(1);
  });

  it('stops an SseStream heartbeat when the client leaves', async () => {
    const out = Object.assign(new PassThrough(), { writeHead() {} });
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const stream = new SseStream(asResponse(out), { heartbeatMs: 5 });
    await new Promise<void>((resolve) => {
      const check = () => (text.includes(': heartbeat') ? resolve() : setTimeout(check, 5));
      check();
    });
    out.destroy();
    await new Promise<void>((resolve) => stream.onClose(resolve));
    expect(stream.send({ data: 'late' })).toBe(false);
  });
});
