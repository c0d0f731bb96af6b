import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TailWriter } from './tail-writer.js';

/** A real Writable whose reader is stuck until released. */
function stuckClient() {
  const received: string[] = [];
  let release: (() => void) | undefined;
  let stuck = true;
  const out = new Writable({
    highWaterMark: 100,
    write(chunk: Buffer, _encoding, callback) {
      received.push(chunk.toString());
      if (stuck) release = callback;
      else callback();
    },
  });
  return {
    out,
    received,
    unstick: () => {
      stuck = false;
      release?.();
    },
  };
}

describe('TailWriter', () => {
  it("drops a stuck client's lines beyond its buffer, then tells it how many it missed", async () => {
    const client = stuckClient();
    const tail = new TailWriter(client.out, { maxBuffered: 1000, notice: (n) => `-- ${n} lines dropped --\n` });
    for (let i = 0; i < 10_000; i += 1) tail.write(`line ${String(i).padStart(5, '0')}\n`);
    expect(client.out.writableLength).toBeLessThanOrEqual(1000);
    expect(tail.dropped).toBeGreaterThan(9_000);
    const dropped = tail.dropped;
    client.unstick();
    await new Promise((resolve) => setImmediate(resolve));
    tail.write('after\n');
    await new Promise((resolve) => setImmediate(resolve));
    const text = client.received.join('');
    expect(text.startsWith('line 00000\n')).toBe(true);
    expect(text).toContain(`-- ${dropped} lines dropped --\n`);
    expect(text.endsWith('after\n')).toBe(true);
    expect(tail.dropped).toBe(0);
  });

  it('passes everything to a client that keeps up', async () => {
    const received: string[] = [];
    const out = new Writable({
      write: (chunk: Buffer, _e, callback) => {
        received.push(chunk.toString());
        callback();
      },
    });
    const tail = new TailWriter(out, { maxBuffered: 1000, notice: (n) => `${n} dropped\n` });
    for (let i = 0; i < 1000; i += 1) tail.write(`${i}\n`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(received.join('').split('\n')).toHaveLength(1001);
    expect(tail.dropped).toBe(0);
  });
});
