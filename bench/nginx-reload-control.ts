/**
 * The control for a route change at N apps: a minimal hand-written nginx
 * with N server blocks (one access log each, as the router has), one of
 * which changes its answer; timed from the SIGHUP to the new answer, polled
 * every 2 ms. What nginx itself costs to reload that much config on this
 * machine, with no Plat around it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from '../test/support/http.js';
import { freePort } from '../test/support/ports.js';
import { median } from './support.js';

function config(dir: string, port: number, apps: number, version: number): string {
  const servers = Array.from({ length: apps }, (_, index) =>
    [
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    server_name app-${index}.localhost;`,
      `    access_log ${dir}/app-${index}.log plat buffer=64k flush=250ms;`,
      `    location / { return 200 "app-${index} v${index === 0 ? version : 1}"; }`,
      '  }',
    ].join('\n'),
  );
  return [
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log;`,
    'worker_processes auto;',
    'events { worker_connections 1024; }',
    'http {',
    "  log_format plat '$remote_addr $host $status';",
    ...servers,
    '}',
    '',
  ].join('\n');
}

/** Median seconds from SIGHUP to app-0's new answer, over `rounds` reloads. */
export async function minimalNginxReload(apps: number, rounds = 10): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-bench-reload-'));
  const port = await freePort();
  const file = join(dir, 'nginx.conf');
  const nginx = (args: string[]) => spawnSync('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', file, ...args]);
  writeFileSync(file, config(dir, port, apps, 0));
  const started = nginx([]);
  if (started.status !== 0) throw new Error(`minimal nginx did not start: ${started.stderr}`);
  try {
    const times: number[] = [];
    for (let version = 1; version <= rounds; version += 1) {
      writeFileSync(file, config(dir, port, apps, version));
      const pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
      const start = process.hrtime.bigint();
      process.kill(pid, 'SIGHUP');
      const deadline = Date.now() + 10_000;
      while (!(await get(port, 'app-0.localhost')).body.endsWith(`v${version}`)) {
        if (Date.now() > deadline) throw new Error('the minimal nginx did not reload within 10 s');
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      times.push(Number(process.hrtime.bigint() - start) / 1e9);
    }
    return median(times);
  } finally {
    nginx(['-s', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  }
}
