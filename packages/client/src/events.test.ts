import { describe, expect, it } from 'vitest';
import { parseSse } from './events.js';

async function* chunks(...parts: string[]): AsyncGenerator<string> {
  for (const part of parts) yield part;
}

describe('parseSse', () => {
  it('joins data lines, keeps event and id, skips comments, across chunk boundaries', async () => {
    const messages = [];
    for await (const message of parseSse(
      chunks(
        ': connected\n\n',
        'id: 1\nevent: rel',
        'ease\ndata: {"a"\ndata: :1}\n\n: heartbeat\n\n',
        'data: plain\r\n\r\n',
      ),
    ))
      messages.push(message);
    expect(messages).toEqual([
      { event: 'release', id: '1', data: '{"a"\n:1}' },
      { event: 'message', data: 'plain' },
    ]);
  });
});
