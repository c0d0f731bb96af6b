/**
 * The swarm runtime under a user's hands (PLAT_RUNTIME=swarm, issue 16):
 * a real platd, the real plat CLI and git, nginx, on a single-node swarm
 * (made on loopback when the Engine is in none, and left afterwards). An app
 * is one Swarm service per process type; `plat scale web=3` is three tasks
 * answering with their own DYNO through the router; a push is a start-first
 * rolling update that fails no request under 8 clients; a release whose web
 * process exits at once is rolled back while the old tasks serve; a killed
 * task is replaced; a restarted platd adopts the services it finds; a
 * Dockerfile app with no Procfile (the image's own CMD) drains as well.
 * Needs Docker: run under `flock /tmp/plat-docker.lock`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABELS, serviceName } from '@plat/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRAIN_EXEC_SHIM } from '../apps/api/src/controller/swarm/service-spec.js';
import { SwarmServices, type TaskRecord } from '../apps/api/src/controller/swarm/services.js';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { type LoopResult, requestLoop } from './support/request-loop.js';
import { run, type RunResult } from './support/run.js';
import { type SingleNodeSwarm, servingTasks, withSingleNodeSwarm } from './support/swarm.js';
import { until } from './support/until.js';

const APP = 'swarmy';
const HOST = `${APP}.localhost`;
const FIRST = 'Hello from Flask on Plat';
const SECOND = 'Hello from the second version';
const WEB_DYNOS = ['web.1', 'web.2', 'web.3'];
/** A build and a rolling update of three tasks on two cores, under load: longer than run()'s 120 s default. */
const PUSH_MS = 240_000;
/** The request loop ends by its deadline, not its count: it must outlast what it watches. */
const LOOP_MAX_MS = 270_000;
const LOOP_MAX_REQUESTS = 5_000_000;

let swarm: SingleNodeSwarm;
let platd: Platd;
/** platd's services, read as the runtime reads them (its instance label). */
let services: SwarmServices;
let repo: string;

interface ShownRelease {
  version: number;
  status: string;
  current: boolean;
  description: string;
}

interface ShownDyno {
  id: string;
  name: string;
  type: string;
  state: string;
  release: number;
  restarts: number;
}

function webService(): string {
  return serviceName(platd.instance, APP, 'web');
}

function plat(args: string[]): Promise<RunResult> {
  return platd.plat(args, { cwd: repo });
}

async function json<T>(args: string[]): Promise<T> {
  const result = await plat([...args, '--json']);
  if (result.code !== 0) throw new Error(`plat ${args.join(' ')} failed: ${result.output}`);
  return JSON.parse(result.stdout) as T;
}

/** Newest first. */
const releases = () => json<ShownRelease[]>(['releases']);
const ps = () => json<ShownDyno[]>(['ps']);

function push(): Promise<RunResult> {
  return run('git', ['push', 'platform', 'main'], { cwd: repo, env: platd.userEnv, timeoutMs: PUSH_MS });
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The end of a push's output, for an assertion's message: the build steps before it are noise. */
function tail(output: string): string {
  return output.split('\n').slice(-40).join('\n');
}

async function commit(message: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(repo, name), text);
  for (const args of [
    ['add', '-A'],
    ['commit', '-q', '-m', message],
  ]) {
    const result = await platd.git(args, repo);
    if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.output}`);
  }
}

function withGreeting(text: string): string {
  return readFileSync(join(repo, 'app.py'), 'utf8').replace(/GREETING = ".*"/, `GREETING = "${text}"`);
}

/** The app's services, as `docker service ls` shows them (dockerode, by the instance label). */
async function appServices() {
  const listed = await swarm.docker.listServices({ filters: { label: [`${LABELS.instance}=${platd.instance}`] } });
  return listed.filter((s) => s.Spec?.Labels?.[LABELS.app] === APP);
}

async function servingWeb(): Promise<TaskRecord[]> {
  return servingTasks(await services.listTasks({ service: webService() }));
}

/** Waits until `count` web tasks of release `version` serve and no other web task is wanted running. */
async function untilWebTasks(count: number, version: number, timeoutMs = 120_000): Promise<TaskRecord[]> {
  let seen: TaskRecord[] = [];
  return until(
    `${count} web tasks of v${version} serving, and no other`,
    async () => {
      seen = await services.listTasks({ service: webService() });
      const wanted = seen.filter((t) => t.desiredState === 'running');
      const ready = servingTasks(seen).filter((t) => t.version === version);
      return ready.length === count && wanted.length === count ? ready : undefined;
    },
    timeoutMs,
  ).catch((error: Error) => {
    const shown = seen.map((t) => `${t.dyno}@v${t.version} ${t.state}/${t.desiredState} ${t.error}`.trim());
    throw new Error(`${error.message}; tasks: ${shown.join(', ')}`);
  });
}

/** Requests through the router until the answers carrying `text` came from `count` distinct dynos; sorted. */
async function dynosAnswering(text: string, count = 3, timeoutMs = 60_000): Promise<string[]> {
  const seen = new Set<string>();
  let last = '';
  await until(
    `${count} distinct dynos to answer "${text}" through the router`,
    async () => {
      const response = await get(platd.routerPort, HOST);
      last = `${response.status} ${response.body.trim()}`;
      const dyno = /\(dyno ([a-z]+\.\d+)\)/.exec(response.body)?.[1];
      if (response.status === 200 && dyno && response.body.includes(text)) seen.add(dyno);
      return seen.size >= count;
    },
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; seen ${[...seen].join(', ') || 'none'}, last answer: ${last}`);
  });
  return [...seen].sort();
}

/**
 * Runs `work` while 8 clients request through the router, bounded in time;
 * the loop must still be running when the work ends, or a failure after it
 * would go unseen.
 */
async function underLoad<T>(work: () => Promise<T>, host = HOST): Promise<{ value: T; loop: LoopResult }> {
  const started = Date.now();
  const loop = requestLoop({
    port: platd.routerPort,
    host,
    clients: 8,
    maxRequests: LOOP_MAX_REQUESTS,
    maxMs: LOOP_MAX_MS,
  });
  let value: T;
  try {
    value = await work();
  } catch (error) {
    await loop.stop();
    throw error;
  }
  const ended = Date.now() - started;
  const result = await loop.stop();
  expect(ended, 'the work outlasted the request loop').toBeLessThan(LOOP_MAX_MS);
  expect(result.requests, 'the request loop ran out of requests before the work ended').toBeLessThan(LOOP_MAX_REQUESTS);
  return { value, loop: result };
}

function expectNoFailures(loop: LoopResult): void {
  const shown = JSON.stringify(loop.failures.slice(0, 5));
  expect(loop.failures.length, `${loop.failures.length} of ${loop.requests} requests failed, e.g. ${shown}`).toBe(0);
  expect(loop.requests).toBeGreaterThan(100);
}

describe('the swarm runtime', () => {
  beforeAll(async () => {
    // The swarm first: platd refuses PLAT_RUNTIME=swarm on an Engine that is no manager.
    // platd draws its instance only when it starts, so its services are named to cleanup() in afterAll.
    swarm = await withSingleNodeSwarm(`t${randomBytes(4).toString('hex')}`);
    platd = await startPlatd({ env: { PLAT_RUNTIME: 'swarm' } });
    services = new SwarmServices({ docker: swarm.docker, instance: platd.instance });
    const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
    expect(login.code, login.output).toBe(0);
    repo = await exampleRepo(platd, 'flask-hello');
    const created = await plat(['apps:create', APP]);
    expect(created.code, created.output).toBe(0);
  });

  afterAll(async () => {
    // platd (and its router) first, then its services and networks, then the swarm if the test made it.
    const failures: unknown[] = [];
    await platd?.destroy().catch((error: unknown) => failures.push(error));
    await swarm?.cleanup(platd ? [platd.instance] : []).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  });

  it('deploys flask-hello as one Swarm service, web at one replica', async () => {
    const pushed = await push();
    expect(pushed.code, tail(pushed.output)).toBe(0);
    // v1 is the app's "Initial release": the first deploy is v2.
    expect(pushed.output).toContain('Released v2');
    const response = await get(platd.routerPort, HOST);
    expect(response.status, response.body).toBe(200);
    expect(response.body).toContain(`${FIRST}! (dyno web.1)`);
    const listed = await appServices();
    expect(listed.map((s) => s.Spec?.Name)).toEqual([webService()]);
    expect(listed[0]!.Spec?.Labels?.[LABELS.process]).toBe('web');
    expect(listed[0]!.Spec?.Mode?.Replicated?.Replicas).toBe(1);
    expect((await untilWebTasks(1, 2)).map((t) => t.dyno)).toEqual(['web.1']);
  }, 300_000);

  it('scales web to 3: three tasks, each answering with its own DYNO', async () => {
    const scaled = await plat(['scale', 'web=3']);
    expect(scaled.code, scaled.output).toBe(0);
    expect(await dynosAnswering(FIRST)).toEqual(WEB_DYNOS);
    const [service] = await appServices();
    expect(service?.Spec?.Mode?.Replicated?.Replicas).toBe(3);
    const tasks = await untilWebTasks(3, 2);
    expect(tasks.map((t) => t.dyno).sort()).toEqual(WEB_DYNOS);
    await until('plat ps to list web.1..web.3 up', async () => {
      const up = (await ps()).filter((d) => d.type === 'web' && d.state === 'up').map((d) => d.name);
      return JSON.stringify(up.sort()) === JSON.stringify(WEB_DYNOS);
    });
    // Where each dyno runs: `web.2: up ... on node-b`.
    const shown = (await plat(['ps'])).stdout;
    for (const task of tasks)
      expect(shown).toMatch(new RegExp(`^${escaped(task.dyno)}:? up\\b.* on ${escaped(task.hostname)}\\b`, 'm'));
  });

  it('rolls a new release out under 8 clients without a failed request', async () => {
    const previous = (await releases())[0]!.version;
    await commit('a second version', { 'app.py': withGreeting(SECOND) });
    const { value: pushed, loop } = await underLoad(push);
    console.log(`rolling deploy: ${loop.requests} requests from 8 clients, ${loop.failures.length} failed`);
    expect(pushed.code, tail(pushed.output)).toBe(0);
    expect(pushed.output).toContain(`Released v${previous + 1}`);
    expectNoFailures(loop);
    expect(await dynosAnswering(SECOND)).toEqual(WEB_DYNOS);
    await untilWebTasks(3, previous + 1);
    await until('only the new text to answer', async () => {
      const answers = await Promise.all(Array.from({ length: 6 }, () => get(platd.routerPort, HOST)));
      return answers.every((a) => a.status === 200 && a.body.includes(SECOND));
    });
    const release = (await releases()).find((r) => r.version === previous + 1);
    expect(release).toMatchObject({ status: 'succeeded', current: true });
  }, 300_000);

  it('rolls back a release whose web process exits at once, the old tasks serving throughout', async () => {
    const good = (await releases()).find((r) => r.current)!.version;
    await commit('a web process that exits at once', {
      Procfile: 'web: python3 -c "import sys; sys.exit(3)"\n',
      'app.py': withGreeting('This version must never serve'),
    });
    try {
      const { value: pushed, loop } = await underLoad(push);
      console.log(`failing release: ${loop.requests} requests from 8 clients, ${loop.failures.length} failed`);
      expect(pushed.code, tail(pushed.output)).not.toBe(0);
      // Named as the docker runtime names it: a Heroku code and the exit status.
      expect(pushed.output).toMatch(/\b(H10|R10)\b/);
      expect(pushed.output).toMatch(/exit(?:ed)?(?: with)?(?: code| status)?:? ?\(?3\b/);
      expectNoFailures(loop);
      const answer = await get(platd.routerPort, HOST);
      expect(answer.status).toBe(200);
      expect(answer.body).toContain(SECOND);
      // Swarm runs the good release's tasks again, none of the failed one's.
      await untilWebTasks(3, good);
      expect(await dynosAnswering(SECOND)).toEqual(WEB_DYNOS);
      const shown = await releases();
      expect(shown.find((r) => r.version === good + 1)?.status).toBe('failed');
      expect(shown.find((r) => r.current)?.version).toBe(good);
    } finally {
      // Later pushes (none yet) start from what runs.
      await platd.git(['reset', '-q', '--hard', 'HEAD~1'], repo);
    }
  }, 300_000);

  it("replaces a killed task's container", async () => {
    const [victim] = await untilWebTasks(3, (await releases()).find((r) => r.current)!.version);
    const started = Date.now();
    await swarm.docker.getContainer(victim!.containerId).kill();
    const replaced = await until(
      `three web tasks again, a new one for ${victim!.dyno}`,
      async () => {
        const tasks = await servingWeb();
        const slots = new Set(tasks.map((t) => t.slot));
        const renewed = tasks.some((t) => t.slot === victim!.slot && t.id !== victim!.id);
        return tasks.length === 3 && slots.size === 3 && renewed ? tasks : undefined;
      },
      90_000,
    );
    console.log(`killed ${victim!.dyno}: replaced after ${Date.now() - started} ms`);
    expect(replaced.map((t) => t.dyno).sort()).toEqual(WEB_DYNOS);
    expect(await dynosAnswering(SECOND)).toEqual(WEB_DYNOS);
    // A crash as on one machine: in the app's log, and counted in plat ps.
    const line = `plat[${victim!.dyno}]: crashed (exit 137) on ${victim!.hostname}, Swarm restarts it in 5s`;
    await until(`"${line}" in plat logs`, async () => (await plat(['logs', '-n', '300'])).stdout.includes(line));
    const shown = (await ps()).find((d) => d.name === victim!.dyno);
    expect(shown?.restarts, JSON.stringify(shown)).toBe(1);
  });

  it('adopts its services when platd restarts, the app answering throughout', async () => {
    const snapshot = async () => ({
      services: (await appServices()).map((s) => s.ID).sort(),
      tasks: (await services.listTasks({ service: webService() })).map((t) => t.id).sort(),
      dynos: (await ps()).map((d) => `${d.name}:${d.id}`).sort(),
    });
    const before = await snapshot();
    expect(before.dynos.map((d) => d.split(':')[0])).toEqual(WEB_DYNOS);
    const { loop } = await underLoad(async () => {
      await platd.stop();
      await platd.start();
      // The restarted platd has read the swarm back once plat ps shows the three dynos up.
      await until('the restarted platd to list web.1..web.3 up', async () => {
        const up = (await ps()).filter((d) => d.state === 'up').map((d) => d.name);
        return JSON.stringify(up.sort()) === JSON.stringify(WEB_DYNOS);
      });
    });
    console.log(`platd restart: ${loop.requests} requests from 8 clients, ${loop.failures.length} failed`);
    expectNoFailures(loop);
    // The same services and tasks: nothing recreated, no task started.
    expect(await snapshot()).toEqual(before);
    const answer = await get(platd.routerPort, HOST);
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(SECOND);
  }, 240_000);

  it('rolls a release out at web=1, where no other task can take a refused request', async () => {
    const scaled = await plat(['scale', 'web=1']);
    expect(scaled.code, scaled.output).toBe(0);
    await untilWebTasks(1, (await releases()).find((r) => r.current)!.version);
    const previous = (await releases())[0]!.version;
    const THIRD = 'Hello from the third version';
    await commit('a third version', { 'app.py': withGreeting(THIRD) });
    // The old task still answers after Swarm stops it (its SIGTERM held back) until nginx no longer lists it.
    const { value: pushed, loop } = await underLoad(push);
    console.log(`rolling deploy at web=1: ${loop.requests} requests from 8 clients, ${loop.failures.length} failed`);
    expect(pushed.code, tail(pushed.output)).toBe(0);
    expect(pushed.output).toContain(`Released v${previous + 1}`);
    expectNoFailures(loop);
    const answer = await get(platd.routerPort, HOST);
    expect(answer.body).toContain(`${THIRD}! (dyno web.1)`);
  }, 300_000);

  it("drains a web task that runs the image's own CMD (no Procfile) through a rollout at web=1", async () => {
    const app = 'swarmdock';
    const host = `${app}.localhost`;
    const dock = await exampleRepo(platd, 'dockerfile-app');
    const created = await platd.plat(['apps:create', app], { cwd: dock });
    expect(created.code, created.output).toBe(0);
    const dockPush = () =>
      run('git', ['push', 'platform', 'main'], { cwd: dock, env: platd.userEnv, timeoutMs: PUSH_MS });
    const first = await dockPush();
    expect(first.code, tail(first.output)).toBe(0);
    // The image's ENTRYPOINT and CMD, inside the shim that holds SIGTERM back (service-spec.ts).
    const [service] = await swarm.docker.listServices({ filters: { name: [serviceName(platd.instance, app, 'web')] } });
    const container = (service?.Spec?.TaskTemplate as { ContainerSpec?: { Command?: string[]; Args?: string[] } })
      ?.ContainerSpec;
    expect(container?.Command).toEqual(['/bin/sh', '-c', DRAIN_EXEC_SHIM, 'plat-dyno']);
    expect(container?.Args).toEqual(['/bin/sh', '-c', 'exec python3 /srv/server.py --port $PORT']);
    expect((await get(platd.routerPort, host)).body).toContain('Hello from a Dockerfile app on Plat! (dyno web.1)');
    const server = join(dock, 'server.py');
    writeFileSync(
      server,
      readFileSync(server, 'utf8').replace('Hello from a Dockerfile app', 'Hello again from a Dockerfile app'),
    );
    const committed = await platd.git(['commit', '-q', '-am', 'a second version'], dock);
    expect(committed.code, committed.output).toBe(0);
    const { value: pushed, loop } = await underLoad(dockPush, host);
    console.log(`Dockerfile CMD rollout at web=1: ${loop.requests} requests, ${loop.failures.length} failed`);
    expect(pushed.code, tail(pushed.output)).toBe(0);
    expectNoFailures(loop);
    expect((await get(platd.routerPort, host)).body).toContain('Hello again from a Dockerfile app on Plat!');
  }, 300_000);
});
