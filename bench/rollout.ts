/**
 * Failed requests across 20 back-to-back deploys under a loop of 8
 * concurrent clients through the router, on the docker runtime and on a
 * single-node swarm (PLAT_RUNTIME=swarm: Swarm's start-first rolling
 * updates). Target: 0. Loopback only, bounded. Writes one row per runtime
 * into bench/results/rollout.json.
 * Run: npm run bench:rollout [-- --runtime docker|swarm|both]
 */
import { requestLoop } from '../test/support/request-loop.js';
import { type BenchRuntime, platdWithApp, pushChange, round, runtimesFromArgs, writeRuntimeRow } from './support.js';

const DEPLOYS = 20;
/** The loop ends by this deadline at the latest, the deploys by their own push timeouts. */
const LOOP_MAX_MS = 20 * 60_000;
const LOOP_MAX_REQUESTS = 2_000_000;

async function bench(runtime: BenchRuntime): Promise<void> {
  const { platd, repo, destroy } = await platdWithApp('rollout', 'flask-hello', runtime);
  try {
    const scaled = await platd.plat(['scale', 'web=2'], { cwd: repo });
    if (scaled.code !== 0) throw new Error(scaled.output);
    const loop = requestLoop({
      port: platd.routerPort,
      host: 'rollout.localhost',
      clients: 8,
      maxRequests: LOOP_MAX_REQUESTS,
      maxMs: LOOP_MAX_MS,
    });
    const started = Date.now();
    let failedPush: unknown;
    try {
      for (let deploy = 1; deploy <= DEPLOYS; deploy += 1) await pushChange(platd, repo, `Deploy number ${deploy}`);
    } catch (error) {
      failedPush = error;
    }
    const { requests, failures } = await loop.stop();
    if (failedPush) throw failedPush;
    const seconds = (Date.now() - started) / 1000;
    // A loop that ran out before the deploys ended would not have seen their last failures.
    if (seconds * 1000 >= LOOP_MAX_MS || requests >= LOOP_MAX_REQUESTS)
      throw new Error(`the request loop ended before the deploys (${seconds} s, ${requests} requests)`);
    const row = {
      runtime,
      deploys: DEPLOYS,
      web_dynos: 2,
      clients: 8,
      seconds: round(seconds, 1),
      seconds_per_deploy: round(seconds / DEPLOYS, 2),
      requests,
      failed_requests: failures.length,
      failures: failures.slice(0, 10),
    };
    console.log(row);
    writeRuntimeRow(
      'rollout',
      { benchmark: 'failed requests across back-to-back deploys', target: { failed_requests: 0 } },
      row,
    );
  } finally {
    await destroy();
  }
}

for (const runtime of runtimesFromArgs()) await bench(runtime);
