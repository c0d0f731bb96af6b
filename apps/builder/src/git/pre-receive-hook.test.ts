import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extract } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGit } from './repository.js';

/**
 * The real hook (hooks/pre-receive) run as git runs it: ref updates on
 * stdin, platd's address and secret in the environment; a small HTTP server
 * plays platd and answers what each test scripts.
 */
const HOOK = join(import.meta.dirname, '../../hooks/pre-receive');
const SECRET = 'a'.repeat(64);
const ZERO = '0'.repeat(40);

interface Received {
  url: string;
  secret: string | undefined;
  files: Record<string, string>;
}

let server: Server;
let port: number;
let repo: string;
let commit: string;
let answer: (received: Received, res: import('node:http').ServerResponse) => void;
const received: Received[] = [];

async function tarFiles(req: IncomingMessage): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const tar = extract();
  tar.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      if (header.type === 'file') files[header.name] = Buffer.concat(chunks).toString();
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    tar.on('finish', resolve);
    tar.on('error', reject);
    req.pipe(tar);
  });
  return files;
}

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'plat-hook-'));
  await runGit(['init', '--quiet', '--initial-branch=main', repo]);
  writeFileSync(join(repo, 'app.py'), 'print("hi")\n');
  await runGit(['-C', repo, 'add', 'app.py']);
  await runGit(['-C', repo, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qm', 'first']);
  commit = (await runGit(['-C', repo, 'rev-parse', 'HEAD'])).trim();
  server = createServer((req, res) => {
    void tarFiles(req).then((files) => {
      const got = { url: req.url ?? '', secret: req.headers['x-plat-hook-secret'] as string | undefined, files };
      received.push(got);
      answer(got, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(repo, { recursive: true, force: true });
});

function runHook(stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(HOOK, [], {
      cwd: repo,
      env: {
        PATH: process.env.PATH,
        PLAT_HOOK_URL: `http://127.0.0.1:${port}/internal/apps/hello/pushes`,
        PLAT_HOOK_SECRET: SECRET,
        // The hook never goes through a proxy to reach platd.
        http_proxy: 'http://127.0.0.1:9',
      },
    });
    let [stdout, stderr] = ['', ''];
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('the pre-receive hook', () => {
  it('streams the pushed commit to platd with its secret, prints its lines and accepts on "result ok"', async () => {
    received.length = 0;
    answer = (_got, res) => res.end('> -----> Building\n>        Released v2\nresult ok\n');
    const result = await runHook(`${ZERO} ${commit} refs/heads/main\n`);
    expect(result, result.stderr).toMatchObject({ code: 0, stdout: '-----> Building\n       Released v2\n' });
    expect(received).toHaveLength(1);
    expect(received[0]!.secret).toBe(SECRET);
    expect(received[0]!.url).toBe(`/internal/apps/hello/pushes?commit=${commit}&ref=refs/heads/main&old=${ZERO}`);
    expect(received[0]!.files).toEqual({ 'app.py': 'print("hi")\n' });
  });

  it('deploys main when master comes with it, and master alone', async () => {
    received.length = 0;
    answer = (_got, res) => res.end('result ok\n');
    const other = '1'.repeat(40);
    expect((await runHook(`${ZERO} ${commit} refs/heads/master\n${other} ${commit} refs/heads/main\n`)).code).toBe(0);
    expect((await runHook(`${ZERO} ${commit} refs/heads/master\n`)).code).toBe(0);
    expect(received.map((r) => new URL(r.url, 'http://x').searchParams.get('ref'))).toEqual([
      'refs/heads/main',
      'refs/heads/master',
    ]);
    expect(new URL(received[0]!.url, 'http://x').searchParams.get('old')).toBe(other);
  });

  it('rejects the push on "result failed", and no printed line can pass for the verdict', async () => {
    answer = (_got, res) => res.end('> result ok\n>  !     Build failed\nresult failed\n');
    const result = await runHook(`${ZERO} ${commit} refs/heads/main\n`);
    expect(result).toMatchObject({ code: 1, stdout: 'result ok\n !     Build failed\n' });
  });

  it('rejects the push when platd stops answering before its verdict, or answers with an error', async () => {
    answer = (_got, res) => res.end('> -----> Building\n');
    const cut = await runHook(`${ZERO} ${commit} refs/heads/main\n`);
    expect(cut).toMatchObject({
      code: 1,
      stdout: '-----> Building\n !     platd did not answer the push to its end\n',
    });
    answer = (_got, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end('{"code":"forbidden","message":"Only git hooks started by this platd may deploy."}');
    };
    const refused = await runHook(`${ZERO} ${commit} refs/heads/main\n`);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('Only git hooks started by this platd may deploy.');
  });

  it('rejects the push when platd cannot be reached', async () => {
    const child = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const hook = spawn(HOOK, [], {
        cwd: repo,
        env: { PATH: process.env.PATH, PLAT_HOOK_URL: 'http://127.0.0.1:1/x', PLAT_HOOK_SECRET: SECRET },
      });
      let stdout = '';
      hook.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
      hook.on('close', (code) => resolve({ code, stdout }));
      hook.stdin.end(`${ZERO} ${commit} refs/heads/main\n`);
    });
    expect(child).toMatchObject({ code: 1, stdout: ' !     platd did not answer the push to its end\n' });
  });

  it('stores other branches without a build, and refuses to delete the deployed branch', async () => {
    received.length = 0;
    const other = await runHook(`${ZERO} ${commit} refs/heads/feature\n`);
    expect(other).toMatchObject({ code: 0 });
    expect(other.stdout).toContain('other branches are stored but not built');
    const deletion = await runHook(`${commit} ${ZERO} refs/heads/main\n`);
    expect(deletion).toMatchObject({ code: 1 });
    expect(deletion.stdout).toContain('Deleting main is not allowed');
    expect(received).toHaveLength(0);
  });

  it('keeps the secret out of every command line it runs', async () => {
    // A curl on PATH that records its arguments, then does what the real one would not: answer ok.
    const bin = mkdtempSync(join(tmpdir(), 'plat-hook-bin-'));
    const argsFile = join(bin, 'args');
    writeFileSync(
      join(bin, 'curl'),
      `#!/bin/sh\nprintf '%s\\n' "$@" > ${argsFile}\ncat > /dev/null\necho 'result ok'\n`,
      {
        mode: 0o755,
      },
    );
    try {
      const result = await new Promise<number | null>((resolve) => {
        const hook = spawn(HOOK, [], {
          cwd: repo,
          env: { PATH: `${bin}:${process.env.PATH}`, PLAT_HOOK_URL: 'http://127.0.0.1:1/x', PLAT_HOOK_SECRET: SECRET },
        });
        hook.on('close', resolve);
        hook.stdin.end(`${ZERO} ${commit} refs/heads/main\n`);
      });
      expect(result).toBe(0);
      const args = readFileSync(argsFile, 'utf8');
      expect(args).toContain('--config');
      expect(args).not.toContain(SECRET);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
