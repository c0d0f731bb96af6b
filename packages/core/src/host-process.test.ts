import { closeSync, openSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runHost, runHostSync } from './host-process.js';

const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'plat-host-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runHost', () => {
  it('resolves with the exit code and stdout, stderr and both together', async () => {
    const program = 'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)';
    const result = await runHost(node, ['-e', program]);
    expect(result).toMatchObject({ code: 3, stdout: 'out', stderr: 'err', timedOut: false });
    expect(result.output).toContain('out');
    expect(result.output).toContain('err');
  });

  it('passes arguments as they are, never through a shell', async () => {
    const result = await runHost(node, ['-e', 'process.stdout.write(process.argv[1])', '$(echo hi); rm -rf /']);
    expect(result.stdout).toBe('$(echo hi); rm -rf /');
  });

  it('runs in the folder and with the environment it is given', async () => {
    const program = 'process.stdout.write(process.cwd() + " " + process.env.ONLY)';
    const result = await runHost(node, ['-e', program], { cwd: dir, env: { ONLY: 'this' } });
    expect(result.stdout).toBe(`${dir} this`);
  });

  it('keeps only the tail of a long output when asked', async () => {
    const result = await runHost(node, ['-e', 'process.stdout.write("a".repeat(100000) + "END")'], { tailChars: 10 });
    expect(result.stdout).toBe('aaaaaaaEND');
    expect(result.output).toBe('aaaaaaaEND');
  });

  it('ends a program that outlives its time', async () => {
    const started = Date.now();
    const result = await runHost(node, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 200 });
    expect(result.timedOut).toBe(true);
    expect(result.code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('rejects when the program cannot start', async () => {
    await expect(runHost(join(dir, 'no-such-program'), [])).rejects.toThrow(/ENOENT/);
  });
});

describe('runHostSync', () => {
  it("lends a descriptor as the program's fd 3", () => {
    const path = join(dir, 'lent');
    const fd = openSync(path, 'w');
    try {
      const result = runHostSync(node, ['-e', 'require("fs").writeSync(3, "through fd 3")'], { lend: fd });
      expect(result.code).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(path, 'utf8')).toBe('through fd 3');
  });

  it('returns the exit code and output, and throws when the program cannot start', () => {
    const failing = runHostSync(node, ['-e', 'process.stderr.write("no"); process.exit(75)']);
    expect(failing).toMatchObject({ code: 75, stderr: 'no' });
    expect(() => runHostSync(join(dir, 'no-such-program'), [])).toThrow(/ENOENT/);
  });
});
