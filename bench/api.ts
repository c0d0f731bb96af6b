/**
 * API throughput: requests/s and p99 latency of GET /v1/apps/:app against a
 * real platd (its own PostgreSQL state server), loopback only, bounded in time. Writes
 * bench/results/api.json. Run: npm run bench:api
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startPlatd } from '../test/support/platd.js';

const ROUNDS = 3;
const SECONDS = 5;
const CONNECTIONS = [1, 32];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const platd = await startPlatd({ env: { PLAT_API_RATE_LIMIT: '0' } });
try {
  const headers = { authorization: `Bearer ${platd.adminToken}`, 'content-type': 'application/json' };
  const created = await fetch(`${platd.apiUrl}/v1/apps`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ name: 'bench-app' }),
  });
  if (created.status !== 201) throw new Error(`creating the app failed: ${created.status} ${await created.text()}`);

  const results: Record<
    string,
    { requests_per_second: number; p99_ms: number; p50_ms: number; errors: number; non_2xx: number }
  > = {};
  for (const connections of CONNECTIONS) {
    const rounds = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      rounds.push(
        await autocannon({ url: `${platd.apiUrl}/v1/apps/bench-app`, headers, connections, duration: SECONDS }),
      );
    }
    results[`connections_${connections}`] = {
      requests_per_second: Math.round(median(rounds.map((r) => r.requests.average))),
      p50_ms: median(rounds.map((r) => r.latency.p50)),
      p99_ms: median(rounds.map((r) => r.latency.p99)),
      errors: rounds.reduce((sum, r) => sum + r.errors + r.timeouts, 0),
      non_2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
    };
    console.log(`GET /v1/apps/:app, ${connections} connection(s):`, results[`connections_${connections}`]);
  }
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const summary = {
    benchmark: 'GET /v1/apps/:app',
    state: 'supervised PostgreSQL 15 (unix socket)',
    rounds: ROUNDS,
    seconds_per_round: SECONDS,
    statistic: 'median of rounds',
    machine: '2 cores',
    date: new Date().toISOString(),
    results,
  };
  writeFileSync(join(dir, 'api.json'), `${JSON.stringify(summary, null, 2)}\n`);
} finally {
  await platd.destroy();
}
