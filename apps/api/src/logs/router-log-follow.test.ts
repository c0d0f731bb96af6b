/**
 * Following router logs by name, without nginx: lines are appended by hand
 * and poll() is called directly. A follow must end with its app's name.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from './log-line.js';
import { RouterLogFiles } from './router-log.js';
import { routerLine } from '../testing/router-lines.js';

describe('following router logs', () => {
  let dir: string;
  let files: RouterLogFiles;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'plat-router-follow-'));
    files = new RouterLogFiles({ dir, reopen: () => {} });
  });
  afterEach(() => {
    files.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const how of ['remove', 'rename'] as const) {
    it(`ends every follow of a name on ${how}, and reads nothing written under it later`, () => {
      writeFileSync(files.pathOf('foo'), '');
      const seen: LogLine[] = [];
      let ended = 0;
      files.follow(
        'foo',
        (line) => seen.push(line),
        () => (ended += 1),
      );
      files.follow('foo', (line) => seen.push(line));
      appendFileSync(files.pathOf('foo'), routerLine('/mine'));
      files.poll();
      expect(seen.map((line) => line.line.includes('/mine'))).toEqual([true, true]);

      if (how === 'remove') files.remove('foo');
      else files.rename('foo', 'bar');
      expect(ended).toBe(1);
      // The next owner of the name writes its own lines.
      writeFileSync(files.pathOf('foo'), routerLine('/theirs'));
      appendFileSync(files.pathOf('foo'), routerLine('/theirs-too'));
      files.poll();
      expect(seen).toHaveLength(2);
    });
  }

  it('survives a listener that stops the follow in the middle of a drain', () => {
    writeFileSync(files.pathOf('foo'), '');
    const seen: string[] = [];
    const stop = files.follow('foo', (line) => {
      seen.push(line.line);
      stop();
    });
    appendFileSync(files.pathOf('foo'), routerLine('/one') + routerLine('/two'));
    expect(() => files.poll()).not.toThrow();
    expect(seen).toHaveLength(1);
  });
});
