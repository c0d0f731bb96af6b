import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { outputFlow, pipeStdin } from './session-flow.js';

describe('outputFlow', () => {
  it('pauses the source while the client is behind and resumes it once drained', () => {
    const source = new PassThrough();
    let resume: (() => void) | undefined;
    const flow = outputFlow(source, (go) => (resume = go));
    const seen: string[] = [];
    let behind = true;
    source.on(
      'data',
      flow((chunk) => {
        seen.push(chunk.toString());
        return !behind;
      }),
    );
    source.write('a');
    expect(source.isPaused()).toBe(true);
    expect(seen).toEqual(['a']);
    behind = false;
    resume!();
    expect(source.isPaused()).toBe(false);
    source.write('b');
    expect(seen).toEqual(['a', 'b']);
  });
});

describe('pipeStdin', () => {
  it('pauses the client while the dyno does not read its stdin', async () => {
    let release: (() => void) | undefined;
    const target = new Writable({ highWaterMark: 4, write: (_chunk, _encoding, callback) => (release = callback) });
    const stdin = new PassThrough();
    pipeStdin(stdin, target);
    stdin.write('0123456789');
    await new Promise((resolve) => setImmediate(resolve));
    expect(stdin.isPaused()).toBe(true);
    release!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stdin.isPaused()).toBe(false);
  });
});
