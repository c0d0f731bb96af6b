/**
 * The router's cost: requests/s and p99 through Plat's nginx against the
 * same dyno's published port directly, and against a minimal hand-written
 * nginx proxy, in alternating rounds (medians; these machines are noisy).
 * Two dynos: flask-hello (gunicorn, 2 sync workers: the app is the limit)
 * and static-site (nginx in the dyno: the router's own cost shows).
 * Loopback only, bounded. Writes bench/results/router.json. Run: npm run bench:router
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { instanceContainers } from '../test/support/docker-cleanup.js';
import { freePort } from '../test/support/ports.js';
import { deployExample, median, platdWithApp, round, writeResult } from './support.js';

const ROUNDS = 7;
const SECONDS = 5;
const CONNECTIONS = 32;

type Target = 'direct' | 'router' | 'minimal_nginx';

const { platd } = await platdWithApp('routed');
const minimalDirs: string[] = [];

async function measure(app: string) {
  const minimalDir = mkdtempSync(join(tmpdir(), 'plat-bench-nginx-'));
  minimalDirs.push(minimalDir);
  const web = (await instanceContainers(platd.instance)).find((c) => c.Labels['plat.dyno'] === 'web.1' && c.Labels['plat.app'] === app)!;
  const dynoPort = web.Ports.find((p) => p.IP === '127.0.0.1')!.PublicPort;
  const minimalPort = await freePort();
  writeFileSync(
    join(minimalDir, 'nginx.conf'),
    `worker_processes auto;
pid ${minimalDir}/nginx.pid;
error_log ${minimalDir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  upstream dyno { server 127.0.0.1:${dynoPort}; keepalive 32; }
  server {
    listen 127.0.0.1:${minimalPort};
    location / { proxy_pass http://dyno; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host; }
  }
}
`,
  );
  const started = spawnSync('nginx', ['-p', minimalDir, '-e', join(minimalDir, 'error.log'), '-c', join(minimalDir, 'nginx.conf')], { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`minimal nginx did not start: ${started.stderr}`);

  const targets: Record<Target, { url: string; headers: Record<string, string> }> = {
    direct: { url: `http://127.0.0.1:${dynoPort}/`, headers: {} },
    router: { url: `http://127.0.0.1:${platd.routerPort}/`, headers: { host: `${app}.localhost` } },
    minimal_nginx: { url: `http://127.0.0.1:${minimalPort}/`, headers: { host: `${app}.localhost` } },
  };
  const samples: Record<Target, { rps: number[]; p99: number[]; errors: number }> = {
    direct: { rps: [], p99: [], errors: 0 },
    router: { rps: [], p99: [], errors: 0 },
    minimal_nginx: { rps: [], p99: [], errors: 0 },
  };
  for (let roundNumber = 0; roundNumber < ROUNDS; roundNumber += 1) {
    for (const target of Object.keys(targets) as Target[]) {
      const result = await autocannon({ ...targets[target], connections: CONNECTIONS, duration: SECONDS });
      samples[target].rps.push(result.requests.average);
      samples[target].p99.push(result.latency.p99);
      samples[target].errors += result.errors + result.timeouts + result.non2xx;
    }
  }
  const summary = Object.fromEntries(
    (Object.keys(samples) as Target[]).map((target) => [
      target,
      { requests_per_second_median: Math.round(median(samples[target].rps)), p99_ms_median: median(samples[target].p99), errors: samples[target].errors },
    ]),
  ) as Record<Target, { requests_per_second_median: number; p99_ms_median: number; errors: number }>;
  return {
    results: summary,
    router_over_direct_rps: round(summary.router.requests_per_second_median / summary.direct.requests_per_second_median),
    router_p99_minus_direct_ms: summary.router.p99_ms_median - summary.direct.p99_ms_median,
    router_over_minimal_nginx_rps: round(summary.router.requests_per_second_median / summary.minimal_nginx.requests_per_second_median),
  };
}

try {
  await deployExample(platd, 'static', 'static-site');
  const result = {
    benchmark: 'router overhead, one web dyno',
    targets: { router_over_direct_rps_at_least: 0.75, p99_ms_over_direct_at_most: 5, router_over_minimal_nginx_rps_at_least: 0.95 },
    connections: CONNECTIONS,
    rounds: ROUNDS,
    seconds_per_round: SECONDS,
    'flask-hello': await measure('routed'),
    'static-site': await measure('static'),
  };
  console.log(JSON.stringify(result, null, 2));
  writeResult('router', result);
} finally {
  for (const dir of minimalDirs) {
    const pid = (() => {
      try {
        return Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
      } catch {
        return 0;
      }
    })();
    if (pid) process.kill(pid, 'SIGQUIT');
    rmSync(dir, { recursive: true, force: true });
  }
  await platd.destroy();
}
