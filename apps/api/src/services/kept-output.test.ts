import { describe, expect, it } from 'vitest';
import { KeptOutput } from './kept-output.js';

describe('KeptOutput', () => {
  it('keeps everything that fits', () => {
    const kept = new KeptOutput(1024);
    for (const line of ['-----> Building', 'Step 1/3', 'done']) kept.push(line);
    expect(kept.text()).toBe('-----> Building\nStep 1/3\ndone');
  });

  it('keeps the head and the tail of endless output within its budget, and says what it left out', () => {
    const kept = new KeptOutput(10_000);
    kept.push('-----> Building abc1234 of hello');
    for (let i = 0; i < 200_000; i += 1) kept.push(`line ${i}`);
    kept.push(' !     Build output exceeded 4 MB; the build was stopped');
    const text = kept.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(10_000 + 200);
    expect(text.startsWith('-----> Building abc1234 of hello\nline 0\n')).toBe(true);
    expect(text.endsWith('line 199999\n !     Build output exceeded 4 MB; the build was stopped')).toBe(true);
    const gap = /\.\.\. (\d+) lines \(\d+ KB\) of output left out here \.\.\./.exec(text);
    expect(gap).not.toBeNull();
    const shown = text.split('\n').filter((line) => /^line \d+$/.test(line)).length;
    expect(shown + Number(gap![1])).toBe(200_000);
  });

  it('shortens a single line longer than the budget', () => {
    const kept = new KeptOutput(100);
    kept.push('x'.repeat(1000));
    expect(kept.text().length).toBeLessThanOrEqual(100);
  });
});
