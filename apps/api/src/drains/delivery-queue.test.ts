import { describe, expect, it } from 'vitest';
import type { LogLine } from '../logs/log-line.js';
import { DeliveryQueue, overflowMessage, retryDelayMs } from './delivery-queue.js';

const line = (n: number, text = `line ${n}`): LogLine => ({
  at: new Date(n * 1000),
  source: 'app',
  dyno: 'web.1',
  line: text,
});

describe('DeliveryQueue', () => {
  it('hands out batches in order and removes them only when acknowledged', () => {
    const queue = new DeliveryQueue({ maxLines: 10, maxBytes: 1e6 });
    for (let n = 1; n <= 5; n += 1) queue.push(line(n));
    const first = queue.peek(2, 1e6)!;
    expect(first.lines.map((l) => l.line)).toEqual(['line 1', 'line 2']);
    expect(queue.peek(2, 1e6)!.lines).toEqual(first.lines);
    queue.ack(first.lastSeq);
    expect(queue.size).toBe(3);
    expect(queue.peek(10, 1e6)!.lines.map((l) => l.line)).toEqual(['line 3', 'line 4', 'line 5']);
    expect(queue.peek(10, 1e6, first.lastSeq)).toBeUndefined();
  });

  it('drops the oldest lines beyond its bounds, and counts them', () => {
    const queue = new DeliveryQueue({ maxLines: 3, maxBytes: 1e6 });
    const inFlight = (() => {
      queue.push(line(1));
      return queue.peek(1, 1e6)!;
    })();
    for (let n = 2; n <= 6; n += 1) queue.push(line(n));
    expect(queue.size).toBe(3);
    expect(queue.peek(10, 1e6)!.lines.map((l) => l.line)).toEqual(['line 4', 'line 5', 'line 6']);
    // Acknowledging a batch whose lines were dropped meanwhile removes nothing else.
    queue.ack(inFlight.lastSeq);
    expect(queue.size).toBe(3);
    expect(queue.dropped).toBe(3);
    expect(queue.takeOverflow()).toEqual({ dropped: 3, since: new Date(1000) });
    expect(queue.takeOverflow()).toBeUndefined();
    queue.push(line(7));
    expect(queue.takeOverflow()).toEqual({ dropped: 1, since: new Date(4000) });
  });

  it('bounds bytes too, and batches by bytes, one line at least', () => {
    const queue = new DeliveryQueue({ maxLines: 100, maxBytes: 1000 });
    for (let n = 1; n <= 10; n += 1) queue.push(line(n, 'x'.repeat(200)));
    expect(queue.bytes).toBeLessThanOrEqual(1000);
    expect(queue.size).toBe(3);
    expect(queue.peek(100, 10)!.lines).toHaveLength(1);
    expect(queue.peek(100, 600)!.lines).toHaveLength(2);
  });

  it('keeps its memory bounded over many lines', () => {
    const queue = new DeliveryQueue({ maxLines: 50, maxBytes: 1e6 });
    for (let n = 1; n <= 100_000; n += 1) queue.push(line(n));
    expect(queue.size).toBe(50);
    expect(queue.takeOverflow()!.dropped).toBe(99_950);
  });
});

describe('L10 and retries', () => {
  it("words the overflow as Heroku's L10", () => {
    expect(overflowMessage({ dropped: 12, since: new Date(0) }, 'd.1')).toBe(
      'Error L10 (output buffer overflow): 12 messages dropped since 1970-01-01T00:00:00.000Z (drain d.1)',
    );
  });

  it('backs off 1, 2, 4 … seconds up to a bound', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n))).toEqual([1000, 2000, 4000, 8000, 60_000]);
    expect(retryDelayMs(3, 1500)).toBe(1500);
  });
});
