import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { demuxExec } from './exec-demux.js';

const frame = (type: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('demuxExec', () => {
  it('splits frames, even cut across chunks, into stdout and stderr', async () => {
    const source = new PassThrough();
    const out: string[] = [];
    const err: string[] = [];
    const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c.toString()));
    const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c.toString()));
    const done = demuxExec(source, stdout, stderr);
    const bytes = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, 'world')]);
    source.write(bytes.subarray(0, 5));
    source.write(bytes.subarray(5, 17));
    source.end(bytes.subarray(17));
    await done;
    expect(out.join('')).toBe('hello world');
    expect(err.join('')).toBe('oops');
  });

  it('pauses the source while stdout has no room', async () => {
    const source = new PassThrough();
    let release: (() => void) | undefined;
    const written: string[] = [];
    const stdout = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk.toString());
        release = callback;
      },
    });
    const done = demuxExec(source, stdout, new PassThrough().resume());
    source.write(frame(1, 'a'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(true);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.isPaused()).toBe(false);
    source.end();
    await done;
    expect(written).toEqual(['a']);
  });

  it('fails, and stops the source, when stdout fails (a full disk)', async () => {
    const source = new PassThrough();
    const stdout = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      },
    });
    const done = demuxExec(source, stdout, new PassThrough().resume());
    source.write(frame(1, 'data'));
    await expect(done).rejects.toThrow(/ENOSPC/);
    expect(source.destroyed).toBe(true);
  });
});
