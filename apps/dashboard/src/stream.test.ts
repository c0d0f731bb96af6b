import { describe, expect, it } from 'vitest';
import { parseSse } from '@plat/client';
import { reconnectDelay, textChunks } from './stream.js';

function bytes(...parts: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

describe('SSE over fetch', () => {
  it('decodes a body split mid-character and mid-message into SSE messages', async () => {
    const euro = new TextEncoder().encode('€');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const encoder = new TextEncoder();
        controller.enqueue(encoder.encode(': hi\n\nevent: log\ndata: {"line":"'));
        controller.enqueue(euro.slice(0, 1));
        controller.enqueue(euro.slice(1));
        controller.enqueue(encoder.encode('<script>"}\n\nevent: release\ndata: {}\n\n'));
        controller.close();
      },
    });
    const messages = [];
    for await (const message of parseSse(textChunks(stream))) messages.push(message);
    expect(messages).toEqual([
      { event: 'log', data: '{"line":"€<script>"}' },
      { event: 'release', data: '{}' },
    ]);
  });

  it('ignores a message cut off by the end of the stream', async () => {
    const messages = [];
    for await (const message of parseSse(textChunks(bytes('data: whole\n\n', 'data: cut')))) messages.push(message);
    expect(messages).toEqual([{ event: 'message', data: 'whole' }]);
  });

  it('backs off 1 s doubling to 30 s', () => {
    expect([0, 1, 2, 5, 10].map(reconnectDelay)).toEqual([1000, 2000, 4000, 30_000, 30_000]);
  });
});
