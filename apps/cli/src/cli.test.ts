import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import type { PlatClient } from '@plat/client';
import type { Release } from '@plat/core';
import { parseAssignments } from './commands/config/set.js';
import { parseScale } from './commands/ps/scale.js';
import { releaseInfo, rollback } from './commands/releases/list.js';
import type { CommandContext } from './context.js';
import type { Output } from './output.js';
import { ago, header, keyValues, table } from './present.js';

describe('parseScale', () => {
  it('reads Heroku forms', () => {
    expect(parseScale(['web=3', 'worker=1:basic', 'clock=:performance'])).toEqual([
      { type: 'web', quantity: 3 },
      { type: 'worker', quantity: 1, size: 'basic' },
      { type: 'clock', size: 'performance' },
    ]);
  });
  it.each([[[]], [['web']], [['web=']], [['web=x']], [['web=-1']], [['=3']]])('rejects %j', (args) => {
    expect(() => parseScale(args)).toThrow(/plat scale|TYPE=QUANTITY/);
  });
});

describe('parseAssignments', () => {
  it('splits at the first =', () => {
    const pairs = ['A=1', 'URL=postgres://u:p@h/db?x=y', 'EMPTY='];
    expect(parseAssignments(pairs)).toEqual({ A: '1', URL: 'postgres://u:p@h/db?x=y', EMPTY: '' });
  });
  it('rejects pairs without a key', () => {
    expect(() => parseAssignments(['=x'])).toThrow(/not KEY=value/);
    expect(() => parseAssignments(['novalue'])).toThrow(/not KEY=value/);
  });
});

describe('presentation', () => {
  const now = Date.parse('2026-11-23T18:00:00Z');
  it('says times relative to now', () => {
    expect(ago('2026-11-23T17:58:00Z', now)).toBe('2 minutes ago');
    expect(ago('2026-11-23T17:59:59Z', now)).toBe('1 second ago');
    expect(ago('2026-11-20T18:00:00Z', now)).toBe('3 days ago');
    expect(ago(null, now)).toBe('never');
  });
  it('aligns tables and key-value lists', () => {
    expect(
      table(
        ['Name', 'Owner'],
        [
          ['hello', 'a@b'],
          ['x', 'longer@example.com'],
        ],
      ),
    ).toEqual(['Name   Owner', '─────  ──────────────────', 'hello  a@b', 'x      longer@example.com']);
    expect(
      keyValues([
        ['A', '1'],
        ['Longer', '2'],
      ]),
    ).toEqual(['A:      1', 'Longer: 2']);
  });
});

describe('commandLine', () => {
  it('takes one word as a command line and quotes several words as argv', async () => {
    const { commandLine } = await import('./commands/run/attach.js');
    expect(commandLine(['echo a; exit 3'])).toBe('echo a; exit 3');
    expect(commandLine(['python', '-c', "import x; print('hi')"])).toBe(`python -c 'import x; print('\\''hi'\\'')'`);
    expect(commandLine(['ls', '-la', '/app'])).toBe('ls -la /app');
  });
});

describe('section headers', () => {
  it("are Heroku's === lines, dim and bold only when the output has colours", () => {
    expect(header('hello Releases')).toBe('=== hello Releases');
    expect(header('hello Releases', pc.createColors(false))).toBe('=== hello Releases');
    expect(header('hello Releases', pc.createColors(true))).toBe('\x1b[2m===\x1b[22m \x1b[1mhello Releases\x1b[22m');
  });

  it('reach a command through its output, with the API client as its only way to platd', async () => {
    const release = { version: 3, description: 'Deploy 1a2b3c4', status: 'succeeded', current: true } as Release;
    const client = { releases: { get: async () => ({ ...release, image: null, process_types: {}, created_at: 'x' }) } };
    const run = async (colors?: ReturnType<typeof pc.createColors>) => {
      const lines: string[] = [];
      const output: Output = { out: (line) => lines.push(line), err: () => {}, isConsole: false };
      if (colors) output.colors = colors;
      const context = { cwd: '/', env: {}, output, client: () => client as unknown as PlatClient } as CommandContext;
      await releaseInfo('v3', { app: 'hello' }, context);
      return lines;
    };
    expect((await run())[0]).toBe('=== Release v3');
    expect((await run(pc.createColors(true)))[0]).toBe('\x1b[2m===\x1b[22m \x1b[1mRelease v3\x1b[22m');
    expect((await run())[1]).toBe('Description: Deploy 1a2b3c4');
  });
});

describe('rollback without a version', () => {
  /** plat rollback against a client with these releases (newest first); the version it asked for. */
  const rollbackOver = async (releases: Partial<Release>[]) => {
    const asked: string[] = [];
    const client = {
      releases: {
        list: async () => releases,
        rollback: async (_app: string, version: string) => {
          asked.push(version);
          return { version: 9, description: `Rollback to ${version}` };
        },
      },
    };
    const output: Output = { out: () => {}, err: () => {}, isConsole: false };
    const context = { cwd: '/', env: {}, output, client: () => client as unknown as PlatClient } as CommandContext;
    await rollback(undefined, { app: 'hello' }, context);
    return asked;
  };

  it('goes to the newest earlier release with code, past those made before the first deploy', async () => {
    const made = (version: number, image: string | null, current = false) =>
      ({ version, image, status: 'succeeded', current }) as Partial<Release>;
    expect(await rollbackOver([made(4, 'img:4', true), made(3, 'img:3'), made(2, null), made(1, null)])).toEqual([
      'v3',
    ]);
    await expect(rollbackOver([made(3, 'img:3', true), made(2, null), made(1, null)])).rejects.toThrow(
      'hello has no earlier deploy to roll back to.',
    );
  });
});
