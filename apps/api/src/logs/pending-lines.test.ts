import { describe, expect, it } from 'vitest';
import { PendingLines } from './pending-lines.js';

const line = (text: string) => ({ at: new Date(0), source: 'app' as const, dyno: 'web.1', line: text });

describe('PendingLines', () => {
  it('keeps every line while within bounds', () => {
    const pending = new PendingLines({ maxLines: 10, maxBytes: 1000 });
    for (const text of ['a', 'b', 'c']) pending.push(line(text));
    expect(pending.lines().map((l) => l.line)).toEqual(['a', 'b', 'c']);
    expect(pending.dropped).toBe(0);
  });

  it('keeps the newest lines within the line and byte bounds of a burst', () => {
    const byCount = new PendingLines({ maxLines: 100, maxBytes: 1e9 });
    for (let i = 0; i < 100_000; i += 1) byCount.push(line(String(i)));
    expect(byCount.lines().map((l) => l.line)).toEqual(Array.from({ length: 100 }, (_, i) => String(99_900 + i)));
    expect(byCount.dropped).toBe(99_900);

    const byBytes = new PendingLines({ maxLines: 1e9, maxBytes: 10_000 });
    for (let i = 0; i < 50_000; i += 1) byBytes.push(line(`${'x'.repeat(995)}${String(i).padStart(5, '0')}`));
    expect(byBytes.lines()).toHaveLength(10);
    expect(byBytes.lines().at(-1)!.line.endsWith('49999')).toBe(true);
  });

  it('keeps a single line larger than the byte bound', () => {
    const pending = new PendingLines({ maxLines: 10, maxBytes: 5 });
    pending.push(line('0123456789'));
    expect(pending.lines()).toHaveLength(1);
  });
});
