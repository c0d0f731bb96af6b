/**
 * Density: N copies of flask-hello on one real platd (default 100; `--apps N`),
 * then more empty apps up to `--total` (default 300) for the costs that should
 * stay flat in the number of apps. Writes bench/results/density.json with:
 * per-deploy time (first, median, last), platd PSS at 1, N/2 and N apps (and at
 * the total), host memory per awake and per sleeping app, a route change's
 * time through nginx, GET /v1/apps, platd idle CPU, and the wake latency of a
 * sleeping (eco) app next to the same apps' cold boot, measured in this run.
 * Loopback only, bounded. Run: npm run bench:density -- --apps 100
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exampleRepo } from '../test/support/app-repo.js';
import { get } from '../test/support/http.js';
import { pss } from '../test/support/memory.js';
import { startPlatd, type Platd } from '../test/support/platd.js';
import { until } from '../test/support/until.js';
import { minimalNginxReload } from './nginx-reload-control.js';
import { median, round, writeResult } from './support.js';

const { values } = parseArgs({
  options: { apps: { type: 'string', default: '100' }, total: { type: 'string', default: '300' } },
});
const APPS = Number(values.apps);
const TOTAL = Math.max(APPS, Number(values.total));
if (!Number.isInteger(APPS) || APPS < 2 || APPS > 400) throw new Error('--apps takes a whole number from 2 to 400');
const SLEEP_S = 20;
const WAKES = Math.min(20, APPS - 1);
/** Seconds over which platd's idle CPU is measured: two controller ticks, six stats rounds. */
const IDLE_S = 60;
const MB = 1024 ** 2;

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;

/** Host memory in use: what the kernel could not hand out without swapping. */
function hostUsed(): number {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(info)?.[1] ?? 0) * 1024;
  return kb('MemTotal') - kb('MemAvailable');
}

/** CPU seconds a process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** nginx workers of an earlier config still finishing their requests (a reload's tail), on this machine. */
function drainingNginxWorkers(): number {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('nginx: worker process is shutting down');
      } catch {
        return false; // gone meanwhile
      }
    }).length;
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function plat(platd: Platd, args: string[], cwd?: string): Promise<string> {
  const result = await platd.plat(args, cwd ? { cwd } : {});
  if (result.code !== 0) throw new Error(`plat ${args.join(' ')} failed:\n${result.output}`);
  return result.output;
}

async function firstAnswer(platd: Platd, app: string, timeoutMs = 90_000): Promise<number> {
  const start = process.hrtime.bigint();
  const response = await get(platd.routerPort, `${app}.localhost`, '/', { timeoutMs });
  if (response.status !== 200) throw new Error(`${app} answered ${response.status}: ${response.body.slice(0, 200)}`);
  return seconds(start);
}

async function sleeping(platd: Platd, app: string): Promise<boolean> {
  return (await plat(platd, ['ps', '-a', app])).includes('sleeping');
}

const platd = await startPlatd({
  env: { PLAT_API_RATE_LIMIT: '0', PLAT_ECO_SLEEP_S: String(SLEEP_S), PLAT_MAX_APPS_PER_USER: '1000' },
});
try {
  await plat(platd, ['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
  await settle(3_000);
  const baseline = hostUsed();
  const template = await exampleRepo(platd, 'flask-hello');
  const names = Array.from({ length: APPS }, (_, index) => `dense-${index + 1}`);
  // The first app stays as it is (route changes are timed on it); the others become eco.
  const [steady, ...ecoApps] = names as [string, ...string[]];
  const deploys: number[] = [];
  const platdPss: Record<string, number> = {};
  for (const [index, app] of names.entries()) {
    const repo = index === 0 ? template : await exampleRepo(platd, 'flask-hello');
    const start = process.hrtime.bigint();
    await plat(platd, ['apps:create', app], repo);
    const push = await platd.git(['push', 'platform', 'main'], repo);
    if (push.code !== 0) throw new Error(`push of ${app} failed:\n${push.output}`);
    await firstAnswer(platd, app);
    deploys.push(seconds(start));
    const count = index + 1;
    if (count === 1 || count === Math.floor(APPS / 2) || count === APPS) platdPss[count] = pss(platd.pid());
    console.log(`deployed ${app} in ${deploys.at(-1)!.toFixed(2)} s`);
  }

  await settle(5_000);
  const awake = hostUsed();

  // Costs that should not grow with the number of apps: measured at N and again at TOTAL apps.
  const flatCosts = async (apps: number) => {
    const listTimes: number[] = [];
    for (let index = 0; index < 20; index += 1) {
      const start = process.hrtime.bigint();
      const response = await fetch(`${platd.apiUrl}/v1/apps`, {
        headers: { authorization: `Bearer ${platd.adminToken}` },
      });
      await response.arrayBuffer();
      listTimes.push(seconds(start));
    }
    // A route change: maintenance on through the API, until the router answers with the maintenance page.
    const routeTimes: number[] = [];
    const maintenance = async (on: boolean, status: number) => {
      const start = process.hrtime.bigint();
      const response = await fetch(`${platd.apiUrl}/v1/apps/${steady}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${platd.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ maintenance: on }),
      });
      if (!response.ok) throw new Error(`maintenance ${on}: ${response.status} ${await response.text()}`);
      const deadline = Date.now() + 30_000;
      // Polled every few ms: a 100 ms poll would hide the figure being measured.
      while ((await get(platd.routerPort, `${steady}.localhost`)).status !== status) {
        if (Date.now() > deadline) throw new Error(`the router did not answer ${status} within 30 s`);
        await settle(2);
      }
      return seconds(start);
    };
    for (let index = 0; index < 5; index += 1) {
      routeTimes.push(await maintenance(true, 503));
      routeTimes.push(await maintenance(false, 200));
    }
    // Idle means nothing under way: the reloads' old workers have exited (platd watches them until then).
    await until('the old nginx workers to exit', async () => drainingNginxWorkers() === 0, 60_000);
    await settle(5_000);
    const cpuFrom = cpuSeconds(platd.pid());
    await settle(IDLE_S * 1000);
    return {
      platd_pss_mb: round(pss(platd.pid()) / MB, 1),
      platd_idle_cpu_percent: round(((cpuSeconds(platd.pid()) - cpuFrom) / IDLE_S) * 100, 2),
      route_change_s: round(median(routeTimes)),
      // The same-run control: nginx alone reloading a config with as many server blocks.
      minimal_nginx_reload_s: round(await minimalNginxReload(apps)),
      get_apps_ms: { p50: round(median(listTimes) * 1000, 1), p99: round(percentile(listTimes, 99) * 1000, 1) },
    };
  };
  const atApps = await flatCosts(APPS);

  // Cold boot of the apps whose wake is timed, measured through the API and the router as a wake is.
  const cold: number[] = [];
  for (const app of ecoApps.slice(0, WAKES)) {
    await plat(platd, ['scale', 'web=0', '-a', app]);
    const start = process.hrtime.bigint();
    await plat(platd, ['scale', 'web=1', '-a', app]);
    await until(
      `${app} to answer`,
      async () => (await get(platd.routerPort, `${app}.localhost`)).status === 200,
      90_000,
    );
    cold.push(seconds(start));
  }

  // Every app becomes eco, and sleeps after SLEEP_S without a request.
  for (const app of ecoApps) await plat(platd, ['scale', 'web=1:eco', '-a', app]);
  for (const app of ecoApps) await until(`${app} to sleep`, () => sleeping(platd, app), (SLEEP_S + 120) * 1000);
  await settle(5_000);
  const asleep = hostUsed();

  const wakes: number[] = [];
  for (const app of ecoApps.slice(0, WAKES)) wakes.push(await firstAnswer(platd, app));

  for (let index = APPS + 1; index <= TOTAL; index += 1) await plat(platd, ['apps:create', `empty-${index}`]);
  // The apps whose wake was timed go back to sleep first: idle is measured with no app between states.
  for (const app of ecoApps.slice(0, WAKES)) await until(`${app} to sleep`, () => sleeping(platd, app), 120_000);
  const atTotal = TOTAL > APPS ? await flatCosts(TOTAL) : undefined;

  const result = {
    apps: APPS,
    total_apps: TOTAL,
    deploy_s: {
      first: round(deploys[0]!),
      median: round(median(deploys)),
      last: round(deploys.at(-1)!),
    },
    platd_pss_mb: Object.fromEntries(Object.entries(platdPss).map(([count, bytes]) => [count, round(bytes / MB, 1)])),
    host_mb_per_app: {
      awake: round((awake - baseline) / APPS / MB, 1),
      // What putting an app to sleep gives back (all but the steady app sleep): a difference of two large
      // states, where a sleeping app's own small cost would drown in the host's noise.
      freed_by_sleep: round((awake - asleep) / (APPS - 1) / MB, 1),
    },
    [`at_${APPS}_apps`]: atApps,
    ...(atTotal ? { [`at_${TOTAL}_apps`]: atTotal } : {}),
    wake_s: { p50: round(median(wakes)), p99: round(percentile(wakes, 99)), samples: wakes.length },
    cold_boot_s: { p50: round(median(cold)), p99: round(percentile(cold, 99)), samples: cold.length },
    targets: {
      route_change_s: 0.1,
      get_apps_ms: 50,
      platd_idle_cpu_percent: 1,
      platd_growth_mb_per_app: 0.5,
    },
  };
  writeResult('density', result);
  console.log(JSON.stringify(result, null, 2));
} finally {
  await platd.destroy();
}
