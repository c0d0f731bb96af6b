/**
 * The router's cost: requests/s and p99 through Plat's nginx against the
 * same dyno's published port directly, and against a minimal hand-written
 * nginx proxy, in rounds that rotate which target goes first. These machines
 * are noisy (neighbours take the cores for seconds at a time), so each ratio
 * is the median of the per-round ratios: a round's targets run back to back
 * and share its noise.
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

const ROUNDS = 9;
const SECONDS = 4;
const WARM_UP_SECONDS = 1;
const CONNECTIONS = 32;
const TARGETS = {
  router_over_direct_rps_at_least: 0.75,
  p99_ms_over_direct_at_most: 5,
  router_over_minimal_nginx_rps_at_least: 0.95,
};

type Target = 'direct' | 'router' | 'minimal_nginx';

const { platd } = await platdWithApp('routed');
const minimalDirs: string[] = [];

async function measure(app: string) {
  const minimalDir = mkdtempSync(join(tmpdir(), 'plat-bench-nginx-'));
  minimalDirs.push(minimalDir);
  const web = (await instanceContainers(platd.instance)).find(
    (c) => c.Labels['plat.dyno'] === 'web.1' && c.Labels['plat.app'] === app,
  )!;
  const dynoPort = web.Ports.find((p) => p.IP === '127.0.0.1')!.PublicPort;
  const minimalPort = await freePort();
  const proxy =
    'proxy_pass http://dyno; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;';
  writeFileSync(
    join(minimalDir, 'nginx.conf'),
    `worker_processes auto;
pid ${minimalDir}/nginx.pid;
error_log ${minimalDir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 10000;
  upstream dyno { server 127.0.0.1:${dynoPort}; keepalive 32; }
  server {
    listen 127.0.0.1:${minimalPort};
    location / { ${proxy} }
  }
}
`,
  );
  const started = spawnSync(
    'nginx',
    ['-p', minimalDir, '-e', join(minimalDir, 'error.log'), '-c', join(minimalDir, 'nginx.conf')],
    { encoding: 'utf8' },
  );
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
  const names = Object.keys(targets) as Target[];
  for (const target of names)
    await autocannon({ ...targets[target], connections: CONNECTIONS, duration: WARM_UP_SECONDS });
  for (let roundNumber = 0; roundNumber < ROUNDS; roundNumber += 1) {
    const order = names.map((_, index) => names[(index + roundNumber) % names.length]!);
    for (const target of order) {
      const result = await autocannon({ ...targets[target], connections: CONNECTIONS, duration: SECONDS });
      samples[target].rps.push(result.requests.average);
      samples[target].p99.push(result.latency.p99);
      samples[target].errors += result.errors + result.timeouts + result.non2xx;
    }
  }
  const perRound = (of: (roundNumber: number) => number) =>
    median(Array.from({ length: ROUNDS }, (_, roundNumber) => of(roundNumber)));
  const summary = Object.fromEntries(
    names.map((target) => [
      target,
      {
        requests_per_second_median: Math.round(median(samples[target].rps)),
        p99_ms_median: median(samples[target].p99),
        errors: samples[target].errors,
      },
    ]),
  ) as Record<Target, { requests_per_second_median: number; p99_ms_median: number; errors: number }>;
  const ratios = {
    router_over_direct_rps: round(perRound((i) => samples.router.rps[i]! / samples.direct.rps[i]!)),
    router_p99_minus_direct_ms: perRound((i) => samples.router.p99[i]! - samples.direct.p99[i]!),
    router_over_minimal_nginx_rps: round(perRound((i) => samples.router.rps[i]! / samples.minimal_nginx.rps[i]!)),
    // What a hand-written proxy gets on this machine: the floor any router config stands on.
    minimal_nginx_over_direct_rps: round(perRound((i) => samples.minimal_nginx.rps[i]! / samples.direct.rps[i]!)),
  };
  return {
    results: summary,
    ...ratios,
    meets_targets: {
      router_over_direct_rps: ratios.router_over_direct_rps >= TARGETS.router_over_direct_rps_at_least,
      p99_ms_over_direct: ratios.router_p99_minus_direct_ms <= TARGETS.p99_ms_over_direct_at_most,
      router_over_minimal_nginx_rps:
        ratios.router_over_minimal_nginx_rps >= TARGETS.router_over_minimal_nginx_rps_at_least,
    },
    requests_per_second_by_round: Object.fromEntries(
      names.map((target) => [target, samples[target].rps.map(Math.round)]),
    ),
  };
}

try {
  await deployExample(platd, 'static', 'static-site');
  const result = {
    benchmark: 'router overhead, one web dyno',
    targets: TARGETS,
    connections: CONNECTIONS,
    rounds: ROUNDS,
    ratios: 'median of per-round ratios',
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
