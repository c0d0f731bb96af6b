/**
 * Time from `scale web=1→8` to all 8 dynos routed (each seen answering
 * through the router), against the app's own boot time. Target: under 5 s
 * plus the boot time. Writes bench/results/scale.json. Run: npm run bench:scale
 */
import { get } from '../test/support/http.js';
import { median, platdWithApp, round, writeResult } from './support.js';

const ROUNDS = 3;

const { platd, repo } = await platdWithApp('scaling');
try {
  const routed: number[] = [];
  const apiReturned: number[] = [];
  for (let r = 0; r < ROUNDS; r += 1) {
    const started = process.hrtime.bigint();
    const scaled = await platd.plat(['scale', 'web=8'], { cwd: repo });
    if (scaled.code !== 0) throw new Error(scaled.output);
    apiReturned.push(Number(process.hrtime.bigint() - started) / 1e9);
    const seen = new Set<string>();
    const deadline = Date.now() + 60_000;
    while (seen.size < 8 && Date.now() < deadline) {
      const body = (await get(platd.routerPort, 'scaling.localhost')).body;
      const dyno = /dyno (web\.\d+)/.exec(body)?.[1];
      if (dyno) seen.add(dyno);
    }
    if (seen.size < 8) throw new Error(`only ${seen.size} dynos answered`);
    routed.push(Number(process.hrtime.bigint() - started) / 1e9);
    await platd.plat(['scale', 'web=1'], { cwd: repo });
  }
  // The app's boot time: one dyno from start to first answer, as the platform saw it.
  const bootStarted = process.hrtime.bigint();
  await platd.plat(['ps:restart', 'web'], { cwd: repo });
  const boot = Number(process.hrtime.bigint() - bootStarted) / 1e9;
  const result = {
    benchmark: 'scale web=1 to 8: until all 8 answer through the router',
    target: { seconds_over_boot_under: 5 },
    rounds: ROUNDS,
    routed_seconds_median: round(median(routed)),
    api_returned_seconds_median: round(median(apiReturned)),
    one_dyno_restart_seconds: round(boot),
    routed_minus_boot_seconds: round(median(routed) - boot),
    routed_runs: routed.map((v) => round(v)),
  };
  console.log(result);
  writeResult('scale', result);
} finally {
  await platd.destroy();
}
