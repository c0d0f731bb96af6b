/**
 * Time from `scale web=1→8` to all 8 dynos routed (each seen answering
 * through the router), against the app's own boot time, on the docker
 * runtime and on a single-node swarm (PLAT_RUNTIME=swarm). Targets: under
 * 5 s plus the boot time on docker, under 10 s plus the boot time on swarm.
 * The app's boot is one dyno's on the docker runtime (scale web=1→2 until
 * web.2 answers): on swarm the same measure holds Swarm's own scheduling and
 * health checks, so it is reported beside it as Swarm's overhead, not used
 * as the boot (which would measure Swarm against itself). A swarm-only run
 * takes the docker row already in the file.
 * Writes one row per runtime into bench/results/scale.json.
 * Run: npm run bench:scale [-- --runtime docker|swarm|both]
 */
import { LABELS } from '@plat/core';
import Docker from 'dockerode';
import { get } from '../test/support/http.js';
import type { Platd } from '../test/support/platd.js';
import {
  type BenchRuntime,
  median,
  platdWithApp,
  readRuntimeRow,
  round,
  runtimesFromArgs,
  writeRuntimeRow,
} from './support.js';

const ROUNDS = 3;
const HOST = 'scaling.localhost';
const TARGET_OVER_BOOT_S: Record<BenchRuntime, number> = { docker: 5, swarm: 10 };

async function answeringDyno(platd: Platd): Promise<string | undefined> {
  const answer = await get(platd.routerPort, HOST);
  return answer.status === 200 ? /dyno (web\.\d+)/.exec(answer.body)?.[1] : undefined;
}

const docker = new Docker();

/**
 * After a scale down: until one web container of the app is left (Swarm's
 * stopped tasks hold SIGTERM 3 s, then exit) and 20 answers in a row come
 * from web.1, so no draining task counts as one of the next round's eight
 * and no exiting one competes with its boot.
 */
async function untilOnlyWebOne(platd: Platd): Promise<void> {
  const deadline = Date.now() + 60_000;
  const label = [`${LABELS.instance}=${platd.instance}`, `${LABELS.app}=scaling`, `${LABELS.process}=web`];
  while ((await docker.listContainers({ filters: { label } })).length !== 1) {
    if (Date.now() > deadline) throw new Error('one web container was not left within 60 s of scale web=1');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let inARow = 0;
  while (inARow < 20) {
    if (Date.now() > deadline) throw new Error('web.1 alone did not answer within 60 s of scale web=1');
    inARow = (await answeringDyno(platd)) === 'web.1' ? inARow + 1 : 0;
  }
}

const SCALE_COMMON = {
  benchmark: 'scale web=1 to 8: until all 8 answer through the router',
  boot:
    "one_dyno_boot_seconds: scale web=1 to 2 until web.2 answers through the router, on the row's runtime; " +
    "app_boot_seconds: the docker row's one_dyno_boot_seconds (the app's boot, which the targets add); " +
    "swarm_overhead_seconds: the swarm row's one_dyno_boot_seconds less the app's boot",
};

/** The app's boot for the swarm row: the docker row's one dyno (this run's, when it ran docker first). */
function dockerBoot(): number {
  const seconds = readRuntimeRow('scale', 'docker')?.one_dyno_boot_seconds;
  if (typeof seconds !== 'number') throw new Error('no docker row in results/scale.json: run --runtime both');
  return seconds;
}

async function bench(runtime: BenchRuntime): Promise<void> {
  const { platd, repo, destroy } = await platdWithApp('scaling', 'flask-hello', runtime);
  try {
    const routed: number[] = [];
    const apiReturned: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      await untilOnlyWebOne(platd);
      const started = process.hrtime.bigint();
      const scaled = await platd.plat(['scale', 'web=8'], { cwd: repo });
      if (scaled.code !== 0) throw new Error(scaled.output);
      apiReturned.push(Number(process.hrtime.bigint() - started) / 1e9);
      const seen = new Set<string>();
      const deadline = Date.now() + 60_000;
      while (seen.size < 8 && Date.now() < deadline) {
        const dyno = await answeringDyno(platd);
        if (dyno) seen.add(dyno);
      }
      if (seen.size < 8) throw new Error(`${runtime}: only ${seen.size} dynos answered`);
      routed.push(Number(process.hrtime.bigint() - started) / 1e9);
      const down = await platd.plat(['scale', 'web=1'], { cwd: repo });
      if (down.code !== 0) throw new Error(down.output);
    }
    // The boot time: one new dyno from `scale web=2` to its first answer through the router.
    await untilOnlyWebOne(platd);
    const bootStarted = process.hrtime.bigint();
    const two = await platd.plat(['scale', 'web=2'], { cwd: repo });
    if (two.code !== 0) throw new Error(two.output);
    const bootDeadline = Date.now() + 60_000;
    while ((await answeringDyno(platd)) !== 'web.2')
      if (Date.now() > bootDeadline) throw new Error(`${runtime}: web.2 did not answer within 60 s`);
    const boot = Number(process.hrtime.bigint() - bootStarted) / 1e9;
    const one = await platd.plat(['scale', 'web=1'], { cwd: repo });
    if (one.code !== 0) throw new Error(one.output);
    // A restart, as before: on swarm a start-first update that also waits out Swarm's 5 s update monitor.
    await untilOnlyWebOne(platd);
    const restartStarted = process.hrtime.bigint();
    const restarted = await platd.plat(['ps:restart', 'web'], { cwd: repo });
    if (restarted.code !== 0) throw new Error(restarted.output);
    const restart = Number(process.hrtime.bigint() - restartStarted) / 1e9;
    const appBoot = runtime === 'docker' ? boot : dockerBoot();
    const row = {
      runtime,
      target: { seconds_over_boot_under: TARGET_OVER_BOOT_S[runtime] },
      rounds: ROUNDS,
      routed_seconds_median: round(median(routed)),
      api_returned_seconds_median: round(median(apiReturned)),
      one_dyno_boot_seconds: round(boot),
      one_dyno_restart_seconds: round(restart),
      app_boot_seconds: round(appBoot),
      ...(runtime === 'swarm' ? { swarm_overhead_seconds: round(boot - appBoot) } : {}),
      routed_minus_boot_seconds: round(median(routed) - appBoot),
      meets_target: median(routed) - appBoot < TARGET_OVER_BOOT_S[runtime],
      routed_runs: routed.map((v) => round(v)),
    };
    console.log(row);
    writeRuntimeRow('scale', SCALE_COMMON, row);
  } finally {
    await destroy();
  }
}

const runtimes = runtimesFromArgs();
// Before a swarm-only run's minutes: it needs the docker row already in the file.
if (!runtimes.includes('docker')) dockerBoot();
for (const runtime of runtimes) await bench(runtime);
