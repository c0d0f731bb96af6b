/**
 * Metrics sampling cost: N idle containers (default 100; `--containers N`)
 * labelled as dynos of a bench instance, watched by the very code platd runs
 * (controller/docker/stats.ts: every 10 s one listing and a reading per
 * container; one events stream for OOM kills) plus the sampler's per-tick
 * arithmetic, for `--seconds` (default 60) each way: readings from the
 * kernel's files (platd's default) and through Docker's one-shot stats API.
 * Writes bench/results/metrics-sampling.json: this process's CPU (user +
 * system) as a share of one core, samples seen per container, and dockerd's
 * CPU over the same time. Loopback only, bounded; the
 * containers are removed afterwards. Run: npm run bench:metrics
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { instanceFilter, LABELS, STACK_IMAGE } from '@plat/core';
import { watchStats } from '../apps/api/src/controller/docker/stats.js';
import type { ContainerStats } from '../apps/api/src/metrics/container-stats.js';
import { toPoint } from '../apps/api/src/metrics/rollup.js';
import { round, writeResult } from './support.js';

const { values } = parseArgs({
  options: { containers: { type: 'string', default: '100' }, seconds: { type: 'string', default: '60' } },
});
const COUNT = Number(values.containers);
const SECONDS = Number(values.seconds);
if (!Number.isInteger(COUNT) || COUNT < 1 || COUNT > 200) throw new Error('--containers takes 1 to 200');
if (!Number.isInteger(SECONDS) || SECONDS < 10 || SECONDS > 600) throw new Error('--seconds takes 10 to 600');

const docker = new Docker();
const instance = `bench${randomBytes(3).toString('hex')}`;
/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** dockerd's CPU time so far (s), from /proc; undefined when it is not found. */
function dockerdCpuSeconds(): number | undefined {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'dockerd') continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    } catch {}
  }
  return undefined;
}

async function removeAll(): Promise<void> {
  const filters = { label: [instanceFilter(instance)] };
  for (const info of await docker.listContainers({ all: true, filters }))
    await docker
      .getContainer(info.Id)
      .remove({ force: true })
      .catch(() => {});
}

/** One sampling run over the containers: hostStats false reads Docker's stats API only, as before. */
async function measure(hostStats: false | undefined) {
  const seen = new Map<string, number>();
  const latest = new Map<string, ContainerStats>();
  const stop = await watchStats(
    docker,
    instance,
    {
      onSample: (stats) => {
        seen.set(stats.containerId, (seen.get(stats.containerId) ?? 0) + 1);
        latest.set(stats.containerId, stats);
      },
      onOom: () => {},
    },
    hostStats === false ? { hostStats } : {},
  );
  // The sampler's tick: a point per container every 10 s (storing it is one insert, not measured here).
  const tick = setInterval(() => {
    for (const stats of latest.values()) toPoint(stats, { tick: new Date(), restarts: 0 });
  }, 10_000);
  // The first round is each container's baseline (no CPU yet); measure the steady state after it.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const cpuBefore = process.cpuUsage();
  const dockerdBefore = dockerdCpuSeconds();
  const started = process.hrtime.bigint();
  const samplesBefore = [...seen.values()].reduce((sum, n) => sum + n, 0);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const dockerdAfter = dockerdCpuSeconds();
  const samples = [...seen.values()].reduce((sum, n) => sum + n, 0) - samplesBefore;
  clearInterval(tick);
  stop();
  return {
    containers_sampled: seen.size,
    samples_per_container_per_10s: round((samples / COUNT / wall) * 10, 2),
    sampler_cpu_percent_of_one_core: round(((cpu.user + cpu.system) / 1e6 / wall) * 100, 3),
    ...(dockerdBefore !== undefined && dockerdAfter !== undefined
      ? { dockerd_cpu_percent_of_one_core: round(((dockerdAfter - dockerdBefore) / wall) * 100, 2) }
      : {}),
  };
}

async function main(): Promise<void> {
  try {
    for (let i = 1; i <= COUNT; i += 1) {
      const container = await docker.createContainer({
        // Plat knows its containers by name (a label can be set by an image): named as a dyno is.
        name: `plat-${instance}-bench-web-${i}`,
        Image: STACK_IMAGE,
        Cmd: ['sleep', String(2 * SECONDS + 120)],
        Labels: {
          [LABELS.instance]: instance,
          [LABELS.app]: 'bench',
          [LABELS.appId]: '00000000-0000-4000-8000-000000000000',
          [LABELS.process]: 'web',
          [LABELS.dyno]: `web.${i}`,
          [LABELS.release]: 'r1',
        },
        HostConfig: { Memory: 64 * 1024 ** 2, NetworkMode: 'none' },
      });
      await container.start();
    }
    const dockerApi = await measure(false);
    const kernelFiles = await measure(undefined);
    const result = {
      benchmark:
        'metrics sampling of idle containers every 10 s, read as platd reads them: ' +
        "from the kernel's files (platd's default on the Engine's host) and through Docker's one-shot stats API",
      containers: COUNT,
      seconds_each: SECONDS,
      target_cpu_percent: 1,
      kernel_files: kernelFiles,
      docker_api: dockerApi,
    };
    writeResult('metrics-sampling', result);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await removeAll();
  }
}

await main();
