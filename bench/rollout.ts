/**
 * Failed requests across 20 back-to-back deploys under a loop of 8
 * concurrent clients through the router. Target: 0. Loopback only, bounded.
 * Writes bench/results/rollout.json. Run: npm run bench:rollout
 */
import { requestLoop } from '../test/support/request-loop.js';
import { platdWithApp, pushChange, round, writeResult } from './support.js';

const DEPLOYS = 20;

const { platd, repo } = await platdWithApp('rollout');
try {
  await platd.plat(['scale', 'web=2'], { cwd: repo });
  const loop = requestLoop({
    port: platd.routerPort,
    host: 'rollout.localhost',
    clients: 8,
    maxRequests: 500_000,
    maxMs: 15 * 60_000,
  });
  const started = Date.now();
  for (let deploy = 1; deploy <= DEPLOYS; deploy += 1) await pushChange(platd, repo, `Deploy number ${deploy}`);
  const { requests, failures } = await loop.stop();
  const result = {
    benchmark: 'failed requests across back-to-back deploys',
    target: { failed_requests: 0 },
    deploys: DEPLOYS,
    web_dynos: 2,
    clients: 8,
    seconds: round((Date.now() - started) / 1000, 1),
    requests,
    failed_requests: failures.length,
    failures: failures.slice(0, 10),
  };
  console.log(result);
  writeResult('rollout', result);
} finally {
  await platd.destroy();
}
