/**
 * A control for code-only pushes: the same `git push` to a bare repository behind a minimal smart-HTTP server
 * written for this bench (no authentication, no hook, no platform), each round pushing the commit Plat got.
 * A code-only push has git's transport in it and the docker floor does not: this is that transport alone,
 * as git's client (git, git-remote-http, send-pack, pack-objects) and `git receive-pack` cost it here.
 * Loopback only; the server and its repository are gone after dispose().
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GitControl {
  /** Seconds of a `git push` of HEAD of `repo` to the control's repository. */
  push(repo: string, env: NodeJS.ProcessEnv): Promise<number>;
  dispose(): Promise<void>;
}

function serve(bare: string, request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', 'http://control');
  const advertise = request.method === 'GET' && url.pathname.endsWith('/info/refs');
  if (!advertise && !(request.method === 'POST' && url.pathname.endsWith('/git-receive-pack'))) {
    response.writeHead(404).end();
    return;
  }
  const args = ['receive-pack', '--stateless-rpc', ...(advertise ? ['--advertise-refs'] : []), bare];
  const child = spawn('git', args, { stdio: ['pipe', 'pipe', 'ignore'] });
  child.on('error', () => response.destroy());
  // receive-pack may exit before it read the whole body (a refused pack).
  child.stdin.on('error', () => {});
  response.writeHead(200, {
    'content-type': `application/x-git-receive-pack-${advertise ? 'advertisement' : 'result'}`,
    'cache-control': 'no-cache',
  });
  if (advertise) {
    child.stdin.end();
    response.write('001f# service=git-receive-pack\n0000');
  } else request.pipe(child.stdin);
  child.stdout.pipe(response);
}

export async function startGitControl(): Promise<GitControl> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-bench-git-'));
  const bare = join(dir, 'control.git');
  const init = spawnSync('git', ['init', '-q', '--bare', bare]);
  if (init.status !== 0) throw new Error(`git init failed: ${init.stderr}`);
  const server = createServer((request, response) => serve(bare, request, response));
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/control.git`;
  return {
    push: (repo, env) =>
      new Promise((resolve, reject) => {
        const start = process.hrtime.bigint();
        const child = spawn('git', ['push', url, 'HEAD:refs/heads/main'], { cwd: repo, env, stdio: 'ignore' });
        child.on('error', reject);
        child.on('close', (code) =>
          code === 0
            ? resolve(Number(process.hrtime.bigint() - start) / 1e9)
            : reject(new Error(`the control's git push exited with ${code}`)),
        );
      }),
    dispose: async () => {
      await new Promise((closed) => server.close(closed));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
