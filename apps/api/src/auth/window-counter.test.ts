import { describe, expect, it } from 'vitest';
import { WindowCounter } from './window-counter.js';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('WindowCounter', () => {
  it('counts per key within a window, then starts again', () => {
    const time = clock();
    const counter = new WindowCounter({ windowMs: 60_000, now: time.now });
    expect(counter.hit('a')).toEqual({ count: 1, resetInMs: 60_000 });
    time.advance(10_000);
    expect(counter.hit('a')).toEqual({ count: 2, resetInMs: 50_000 });
    expect(counter.hit('b').count).toBe(1);
    expect(counter.peek('a')).toEqual({ count: 2, resetInMs: 50_000 });
    time.advance(50_000);
    expect(counter.peek('a')).toEqual({ count: 0, resetInMs: 0 });
    expect(counter.hit('a')).toEqual({ count: 1, resetInMs: 60_000 });
  });

  it('peeking counts nothing', () => {
    const counter = new WindowCounter({ windowMs: 1000 });
    for (let i = 0; i < 5; i += 1) counter.peek('x');
    expect(counter.peek('x').count).toBe(0);
    expect(counter.size).toBe(0);
  });

  it('keeps at most maxKeys keys, sweeping expired ones first, then the least recently counted', () => {
    const time = clock();
    const counter = new WindowCounter({ windowMs: 1000, maxKeys: 3, now: time.now });
    counter.hit('old');
    time.advance(1000);
    counter.hit('a');
    counter.hit('b');
    // Full: the expired "old" goes, a and b stay.
    counter.hit('c');
    expect(counter.size).toBe(3);
    expect(counter.peek('a').count).toBe(1);
    expect(counter.peek('old').count).toBe(0);
    // Full of live keys: a was counted again, so b (least recent) goes.
    counter.hit('a');
    counter.hit('d');
    expect(counter.size).toBe(3);
    expect(counter.peek('b').count).toBe(0);
    expect(counter.peek('a').count).toBe(2);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const counter = new WindowCounter({ windowMs: 60_000, maxKeys: 100 });
    for (let i = 0; i < 100_000; i += 1) counter.hit(`key-${i}`);
    expect(counter.size).toBe(100);
    expect(counter.peek('key-99999').count).toBe(1);
  });
});
