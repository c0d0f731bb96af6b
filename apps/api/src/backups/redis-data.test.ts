import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { tooBigFor, writeThrough } from './redis-data.js';

describe('restoring a redis snapshot', () => {
  it('refuses a snapshot that would not fit in the plan once loaded', () => {
    const mb = 1024 * 1024;
    expect(tooBigFor(100 * mb, 256, 'redis-a')).toBeUndefined();
    expect(tooBigFor(128 * mb, 256, 'redis-a')).toBeUndefined();
    expect(tooBigFor(129 * mb, 256, 'redis-a')).toBe(
      "the snapshot (129 MB) would not fit in redis-a's 256 MB once loaded: restore it into a bigger plan",
    );
    expect(tooBigFor(10_000 * mb, undefined, 'redis-a')).toBeUndefined();
  });
});

describe('the capture tap', () => {
  it('shows each chunk and takes the next only once the file has room', async () => {
    let release: (() => void) | undefined;
    const written: string[] = [];
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString());
        release = callback;
      },
    });
    const seen: string[] = [];
    const tap = writeThrough(slow, (chunk) => seen.push(chunk.toString()));
    tap.write('a');
    tap.write('b');
    await new Promise((resolve) => setImmediate(resolve));
    // 'b' waits in the tap until the slow file drains.
    expect(seen).toEqual(['a']);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['a', 'b']);
    release!();
    await new Promise<void>((resolve) => tap.end(resolve));
    expect(written).toEqual(['a', 'b']);
  });

  it('fails when the file fails instead of waiting for room forever', async () => {
    const broken = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        setImmediate(() => callback(new Error('disk full')));
      },
    });
    broken.on('error', () => {});
    const tap = writeThrough(broken, () => {});
    const failed = new Promise<Error>((resolve) => tap.on('error', resolve));
    tap.write('a');
    expect((await failed).message).toBe('disk full');
  });
});
