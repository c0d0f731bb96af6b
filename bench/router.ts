/**
 * The router's cost: requests/s and p99 through Plat's nginx against the
 * same dyno directly at its address, and against a minimal hand-written
 * nginx proxy, in rounds that rotate which target goes first. These machines
 * are noisy (neighbours take the cores for seconds at a time), so each ratio
 * is the median of the per-round ratios: a round's targets run back to back
 * and share its noise.
 * HTTPS the same way: the router's TLS port with an own certificate added by
 * `plat certs:add` (SNI for the app's hostname), against the minimal nginx
 * serving the same certificate with the router's own TLS settings, over
 * keep-alive connections (autocannon) and with a new connection per request
 * (a full handshake each).
 * Two dynos: flask-hello (gunicorn, 2 sync workers: the app is the limit)
 * and static-site (nginx in the dyno: the router's own cost shows).
 * Loopback only, bounded. Writes bench/results/router.json. Run: npm run bench:router
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { makeChain } from '../apps/api/src/testing/certificates.js';
import { instanceContainers } from '../test/support/docker-cleanup.js';
import { get } from '../test/support/http.js';
import { freePort } from '../test/support/ports.js';
import { getOverNewConnection, newConnectionRun, type TlsTarget } from './new-connections.js';
import { deployExample, median, platdWithApp, round, writeResult } from './support.js';

const ROUNDS = 9;
const SECONDS = 4;
const WARM_UP_SECONDS = 1;
const CONNECTIONS = 32;
const TARGETS = {
  router_over_direct_rps_at_least: 0.75,
  p99_ms_over_direct_at_most: 5,
  router_over_minimal_nginx_rps_at_least: 0.95,
  router_https_over_minimal_nginx_https_rps_at_least: 0.95,
};

const NAMES = [
  'direct',
  'router',
  'minimal_nginx',
  'router_https',
  'minimal_nginx_https',
  'router_https_new_connections',
  'minimal_nginx_https_new_connections',
] as const;
type Target = (typeof NAMES)[number];
interface Sample {
  rps: number;
  p99: number;
  errors: number;
}

const { platd } = await platdWithApp('routed');
const minimalDirs: string[] = [];

/** The router's TLS settings, read from the config it runs: the control serves TLS exactly as it does. */
function routerTlsSettings(): string {
  const config = readFileSync(join(platd.dataDir, 'router', 'nginx.conf'), 'utf8');
  const settings = config
    .split('\n')
    .map((line) => line.trim())
    .filter((line) =>
      /^ssl_(protocols|ciphers|prefer_server_ciphers|session_cache|session_timeout|session_tickets) /.test(line),
    );
  if (settings.length !== 6) throw new Error(`the router's TLS settings are not all in its config:\n${config}`);
  return settings.map((line) => `  ${line}`).join('\n');
}

/**
 * Gives the app a custom domain with an own certificate from a test CA; returns the files and the CA.
 * Its own hostname stays plain HTTP: a hostname with a certificate is redirected to HTTPS.
 */
async function addCertificate(app: string, dir: string) {
  const hostname = `${app}.bench.example`;
  const domain = await platd.plat(['domains:add', hostname, '-a', app]);
  if (domain.code !== 0) throw new Error(`plat domains:add failed: ${domain.output}`);
  const chain = await makeChain({ name: app, hostnames: [hostname] });
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  writeFileSync(certPath, chain.leaf.pem + chain.intermediate.pem);
  writeFileSync(keyPath, chain.leaf.keyPem, { mode: 0o600 });
  const added = await platd.plat(['certs:add', certPath, keyPath, '-a', app]);
  if (added.code !== 0) throw new Error(`plat certs:add failed: ${added.output}`);
  return { hostname, certPath, keyPath, ca: chain.root.pem };
}

async function measure(app: string) {
  const minimalDir = mkdtempSync(join(tmpdir(), 'plat-bench-nginx-'));
  minimalDirs.push(minimalDir);
  const web = (await instanceContainers(platd.instance)).find(
    (c) => c.Labels['plat.dyno'] === 'web.1' && c.Labels['plat.app'] === app,
  )!;
  // Where the router reaches the dyno: its address on the app's network, $PORT (nothing is published on the host).
  const dynoAddress = `${Object.values(web.NetworkSettings.Networks).find((n) => n.IPAddress)!.IPAddress}:5000`;
  const certificate = await addCertificate(app, minimalDir);
  const [minimalPort, minimalTlsPort] = [await freePort(), await freePort()];
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
${routerTlsSettings()}
  upstream dyno { server ${dynoAddress}; keepalive 32; }
  server {
    listen 127.0.0.1:${minimalPort};
    location / { ${proxy} }
  }
  server {
    listen 127.0.0.1:${minimalTlsPort} ssl http2;
    ssl_certificate ${certificate.certPath};
    ssl_certificate_key ${certificate.keyPath};
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

  const plainHost = `${app}.localhost`;
  const plain = await get(platd.routerPort, plainHost, '/');
  if (plain.status !== 200) throw new Error(`HTTP to ${plainHost} through the router answered ${plain.status}`);
  const tls = (port: number): TlsTarget => ({ port, servername: certificate.hostname, ca: certificate.ca });
  // Both verified once against the test CA: autocannon itself accepts any certificate.
  for (const target of [tls(platd.routerTlsPort), tls(minimalTlsPort)]) {
    const status = await getOverNewConnection(target);
    if (status !== 200) throw new Error(`HTTPS to ${certificate.hostname} on port ${target.port} answered ${status}`);
  }
  const cannon = (url: string, https: boolean) => async (seconds: number) => {
    const result = await autocannon({
      url,
      headers: { host: https ? certificate.hostname : plainHost },
      connections: CONNECTIONS,
      duration: seconds,
      ...(https ? { servername: certificate.hostname, tlsOptions: { ca: certificate.ca } } : {}),
    });
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts + result.non2xx,
    };
  };
  const newConnections = (port: number) => async (seconds: number) => {
    const result = await newConnectionRun(tls(port), CONNECTIONS, seconds);
    return { rps: result.requestsPerSecond, p99: result.p99Ms, errors: result.errors };
  };
  const targets: Record<Target, (seconds: number) => Promise<Sample>> = {
    direct: cannon(`http://${dynoAddress}/`, false),
    router: cannon(`http://127.0.0.1:${platd.routerPort}/`, false),
    minimal_nginx: cannon(`http://127.0.0.1:${minimalPort}/`, false),
    router_https: cannon(`https://127.0.0.1:${platd.routerTlsPort}/`, true),
    minimal_nginx_https: cannon(`https://127.0.0.1:${minimalTlsPort}/`, true),
    router_https_new_connections: newConnections(platd.routerTlsPort),
    minimal_nginx_https_new_connections: newConnections(minimalTlsPort),
  };
  const samples = Object.fromEntries(
    NAMES.map((target) => [target, { rps: [] as number[], p99: [] as number[], errors: 0 }]),
  ) as Record<Target, { rps: number[]; p99: number[]; errors: number }>;
  for (const target of NAMES) await targets[target](WARM_UP_SECONDS);
  for (let roundNumber = 0; roundNumber < ROUNDS; roundNumber += 1) {
    const order = NAMES.map((_, index) => NAMES[(index + roundNumber) % NAMES.length]!);
    for (const target of order) {
      const result = await targets[target](SECONDS);
      samples[target].rps.push(result.rps);
      samples[target].p99.push(result.p99);
      samples[target].errors += result.errors;
    }
  }
  const perRound = (of: (roundNumber: number) => number) =>
    median(Array.from({ length: ROUNDS }, (_, roundNumber) => of(roundNumber)));
  const rpsRatio = (over: Target, under: Target) =>
    round(perRound((i) => samples[over].rps[i]! / samples[under].rps[i]!));
  const summary = Object.fromEntries(
    NAMES.map((target) => [
      target,
      {
        requests_per_second_median: Math.round(median(samples[target].rps)),
        p99_ms_median: median(samples[target].p99),
        errors: samples[target].errors,
      },
    ]),
  );
  const ratios = {
    router_over_direct_rps: rpsRatio('router', 'direct'),
    router_p99_minus_direct_ms: perRound((i) => samples.router.p99[i]! - samples.direct.p99[i]!),
    router_over_minimal_nginx_rps: rpsRatio('router', 'minimal_nginx'),
    // What a hand-written proxy gets on this machine: the floor any router config stands on.
    minimal_nginx_over_direct_rps: rpsRatio('minimal_nginx', 'direct'),
    // TLS against plain through the same router to the same dyno; the control shows what TLS costs this machine.
    router_https_over_router_rps: rpsRatio('router_https', 'router'),
    router_https_p99_minus_router_ms: perRound((i) => samples.router_https.p99[i]! - samples.router.p99[i]!),
    minimal_nginx_https_over_minimal_nginx_rps: rpsRatio('minimal_nginx_https', 'minimal_nginx'),
    router_https_over_minimal_nginx_https_rps: rpsRatio('router_https', 'minimal_nginx_https'),
    router_https_new_connections_over_minimal_nginx_https_new_connections_rps: rpsRatio(
      'router_https_new_connections',
      'minimal_nginx_https_new_connections',
    ),
  };
  return {
    results: summary,
    ...ratios,
    meets_targets: {
      router_over_direct_rps: ratios.router_over_direct_rps >= TARGETS.router_over_direct_rps_at_least,
      p99_ms_over_direct: ratios.router_p99_minus_direct_ms <= TARGETS.p99_ms_over_direct_at_most,
      router_over_minimal_nginx_rps:
        ratios.router_over_minimal_nginx_rps >= TARGETS.router_over_minimal_nginx_rps_at_least,
      router_https_over_minimal_nginx_https_rps:
        ratios.router_https_over_minimal_nginx_https_rps >= TARGETS.router_https_over_minimal_nginx_https_rps_at_least,
      // A failed request or an answer other than 2xx (a redirect, say) makes every ratio meaningless.
      no_errors: NAMES.every((target) => samples[target].errors === 0),
    },
    requests_per_second_by_round: Object.fromEntries(
      NAMES.map((target) => [target, samples[target].rps.map(Math.round)]),
    ),
  };
}

/** Stops a minimal nginx and waits (bounded) for it to be gone, then removes its folder. */
async function stopMinimalNginx(dir: string): Promise<void> {
  let pid = 0;
  try {
    pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
  } catch {
    // Never started.
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (pid && alive()) {
    process.kill(pid, 'SIGQUIT');
    const deadline = Date.now() + 10_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive()) process.kill(pid, 'SIGKILL');
  }
  rmSync(dir, { recursive: true, force: true });
}

let cleaning: Promise<void> | undefined;
const cleanUp = () => {
  cleaning ??= (async () => {
    for (const dir of minimalDirs) await stopMinimalNginx(dir).catch((error) => console.error(error));
    await platd.destroy();
  })();
  return cleaning;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(1)));
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
    https:
      'own certificate (ECDSA P-256, test CA) added with plat certs:add for a custom domain <app>.bench.example, ' +
      'SNI and Host that domain (plain HTTP: <app>.localhost, no certificate), HTTP/1.1 (autocannon offers no ALPN); ' +
      "the minimal nginx serves the same certificate with the router's ssl_* settings. " +
      '*_new_connections: a new TLS connection and full handshake per request (Connection: close, no resumption)',
    'flask-hello': await measure('routed'),
    'static-site': await measure('static'),
  };
  console.log(JSON.stringify(result, null, 2));
  writeResult('router', result);
} finally {
  await cleanUp();
}
