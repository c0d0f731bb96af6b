/**
 * dockerd restarts under a running platd (an upgrade, a crash). Its restart
 * stops every dyno (live-restore is off); platd must notice it came back,
 * bring the app back to serving, and keep reacting to crashes: the Docker
 * events stream is reopened, not silently lost.
 *
 * This test stops the Docker daemon everyone shares, so it is short and
 * always leaves dockerd running, even when it fails.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exampleRepo } from '../support/app-repo.js';
import { instanceContainers } from '../support/docker-cleanup.js';
import { get } from '../support/http.js';
import { startPlatd, type Platd } from '../support/platd.js';
import { run } from '../support/run.js';
import { until } from '../support/until.js';

const DOCKERD_LOG = join(process.env.PLAT_DATA_DIR ?? '/var/lib/plat', 'dockerd.log');
const docker = new Docker();
let platd: Platd;
let repo: string;

async function dockerAnswers(): Promise<boolean> {
  return (await run('docker', ['info'], { timeoutMs: 20_000 }).catch(() => ({ code: -1 }))).code === 0;
}

function dockerdPid(): number {
  return Number(readFileSync('/var/run/docker.pid', 'utf8').trim());
}

/** Whether the process still runs: gone, or a zombie nobody reaped yet, counts as exited. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Starts dockerd the way infra/setup.sh does, detached from this process. */
function startDockerd(): void {
  const log = openSync(DOCKERD_LOG, 'a');
  spawn('setsid', ['nohup', 'dockerd'], { detached: true, stdio: ['ignore', log, log] }).unref();
  closeSync(log);
}

async function ensureDockerd(): Promise<void> {
  if (await dockerAnswers()) return;
  startDockerd();
  await until('dockerd to answer again', dockerAnswers, 90_000);
}

async function webDyno(): Promise<Docker.ContainerInfo | undefined> {
  return (await instanceContainers(platd.instance)).find(
    (c) => c.Labels['plat.dyno'] === 'web.1' && c.State === 'running',
  );
}

async function serving(): Promise<boolean> {
  return (await get(platd.routerPort, 'phoenix.localhost', '/', { timeoutMs: 3000 })).status === 200;
}

async function crashLines(): Promise<string[]> {
  const logs = await platd.plat(['logs', '-n', '1000', '--source', 'plat'], { cwd: repo });
  return logs.stdout.split('\n').filter((line) => /web\.1\]: crashed \(exit/.test(line));
}

beforeAll(async () => {
  platd = await startPlatd();
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  expect((await platd.plat(['apps:create', 'phoenix'], { cwd: repo })).code).toBe(0);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
});
afterAll(async () => {
  await ensureDockerd();
  await platd?.destroy();
});

it('brings the app back after dockerd restarts, and still restarts crashed dynos', async () => {
  expect(await serving()).toBe(true);
  const before = (await webDyno())!;

  try {
    const pid = dockerdPid();
    process.kill(pid, 'SIGTERM');
    await until('dockerd to exit', async () => !alive(pid), 60_000);
  } finally {
    await ensureDockerd();
  }

  const back = await until(
    'the app to serve again after the restart',
    async () => (await serving()) && (await webDyno()),
    120_000,
  );
  expect(back.Id, 'a fresh container replaced the one dockerd stopped').not.toBe(before.Id);
  await until(
    'platd to say it reopened the events stream',
    async () => platd.output().includes('Docker events stream reopened'),
    30_000,
  );
  // The app's network is still walled off from the host (test/hostile/isolation.test.ts probes it).
  const rules = (await run('iptables', ['-w', '-S'])).stdout
    .split('\n')
    .filter((line) => line.includes(`"plat:${platd.instance}"`));
  expect(rules.filter((line) => line.startsWith('-A INPUT ')).length, rules.join('\n')).toBeGreaterThanOrEqual(1);

  // The crash logic runs on Docker's events: a dyno killed now must be seen dying.
  const crashesBefore = (await crashLines()).length;
  const pid = (await docker.getContainer(back.Id).inspect()).State.Pid;
  process.kill(pid, 'SIGKILL');
  const crash = await until(
    'platd to log the crash',
    async () => {
      const lines = await crashLines();
      return lines.length > crashesBefore ? lines.at(-1) : undefined;
    },
    30_000,
  );
  expect(crash).toMatch(/crashed \(exit 137\), restarting/);
  const replaced = await until(
    'web.1 to be replaced',
    async () => {
      const dyno = await webDyno();
      return dyno && dyno.Id !== back.Id && (await serving()) ? dyno : undefined;
    },
    60_000,
  );
  expect(replaced.Labels['plat.app']).toBe('phoenix');
});
