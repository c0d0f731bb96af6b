/**
 * The Swarm services layer on a real single-node swarm (made on loopback
 * when the Engine is in none, and left afterwards): a web service of the
 * local stack image runs web=3 as three tasks with distinct DYNO values; a
 * start-first rolling update under 8 clients fails no request; an update
 * whose command exits at once is rolled back by Swarm while the old tasks
 * serve; a killed task is replaced; scaling 1→8 is timed.
 *
 * Web tasks publish in `host` mode (a port per task) behind a stand-in for
 * nginx (support/swarm.ts): the routing mesh needs IPVS, which not every
 * kernel has; where it has, the mesh is checked too.
 */
import { randomBytes } from 'node:crypto';
import { get } from './support/http.js';
import { requestLoop } from './support/request-loop.js';
import { hasIpvs, type SingleNodeSwarm, servingTasks, startTaskProxy, withSingleNodeSwarm } from './support/swarm.js';
import { until } from './support/until.js';
import { LABELS, networkName, STACK_IMAGE } from '@plat/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceInput, serviceSpec } from '../apps/api/src/controller/swarm/service-spec.js';
import type { TaskRecord } from '../apps/api/src/controller/swarm/services.js';

const instance = `t${randomBytes(4).toString('hex')}`;
const appId = `app-${randomBytes(4).toString('hex')}`;
const service = `plat-${instance}-shop-web`;

/**
 * A web process that says which dyno and release answered, and on SIGTERM
 * stops accepting and finishes what it has, as a well-behaved app does.
 */
const SERVER =
  'const s=require("http").createServer((q,r)=>r.end(process.env.DYNO+" "+process.env.GREETING+"\\n"))' +
  '.listen(+process.env.PORT);process.on("SIGTERM",()=>s.close(()=>process.exit(0)))';

let swarm: SingleNodeSwarm;
let image: string;

function input(release: string, overrides: Partial<ServiceInput> = {}, command = `exec node -e '${SERVER}'`) {
  return {
    instance,
    app: 'shop',
    appId,
    release: {
      id: release,
      version: Number(release.slice(1)),
      image,
      config: { GREETING: `hello from ${release}` },
      processTypes: { web: command },
    },
    type: 'web',
    quantity: 3,
    size: 'basic',
    graceSeconds: 5,
    publish: { mode: 'host' },
    ...overrides,
  } satisfies ServiceInput;
}

async function serving(): Promise<TaskRecord[]> {
  return servingTasks(await swarm.services.listTasks({ appId }));
}

/** Polls `check` until it returns something; unlike until(), an error it throws ends the wait at once. */
async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/**
 * Waits until `count` tasks of `release` serve and no other task is wanted
 * running; a release whose tasks keep failing ends the wait with their error.
 */
async function untilServing(count: number, release: string, timeoutMs = 90_000): Promise<TaskRecord[]> {
  return poll(
    `${count} tasks of ${release} serving`,
    async () => {
      const tasks = await swarm.services.listTasks({ appId });
      const failed = tasks.filter((t) => t.releaseId === release && t.state === 'failed');
      if (failed.length >= 4) throw new Error(`tasks of ${release} keep failing: ${failed[0]!.error}`);
      const wanted = tasks.filter((t) => t.desiredState === 'running');
      const ready = servingTasks(tasks).filter((t) => t.releaseId === release);
      return ready.length === count && wanted.length === count ? ready : undefined;
    },
    timeoutMs,
  );
}

async function untilUpdate(state: string, timeoutMs = 120_000): Promise<string> {
  return poll(
    `the update to reach ${state}`,
    async () => {
      const status = await swarm.services.updateState(service);
      if (status.state === state) return status.message || state;
      if (['paused', 'rollback_paused'].includes(status.state))
        throw new Error(`update ${status.state}: ${status.message}`);
      return undefined;
    },
    timeoutMs,
  );
}

/** CPU time a container has used, in ns. */
async function cpuNs(id: string): Promise<number> {
  const stats = (await swarm.docker.getContainer(id).stats({ stream: false })) as {
    cpu_stats: { cpu_usage: { total_usage: number } };
  };
  return stats.cpu_stats.cpu_usage.total_usage;
}

beforeAll(async () => {
  swarm = await withSingleNodeSwarm(instance);
  // By id: Swarm then neither asks a registry for a digest nor tries to pull.
  image = (await swarm.docker.getImage(STACK_IMAGE).inspect()).Id;
  await swarm.services.ensureOverlayNetwork(networkName(instance, appId), { [LABELS.appId]: appId });
});

afterAll(async () => {
  await swarm?.cleanup();
});

describe('Swarm services on a single-node swarm', () => {
  it('runs web=3 as three hardened tasks, each answering with its own DYNO', async () => {
    const state = await swarm.services.swarmState();
    expect(state).toMatchObject({ state: 'active', manager: true });
    console.log(`swarm: ${swarm.made ? 'made on loopback by the test' : 'the Engine’s own'}, node ${state.nodeAddr}`);
    const spec = serviceSpec(input('v1'));
    const started = Date.now();
    expect((await swarm.services.ensureService(spec)).action).toBe('created');
    const tasks = await untilServing(3, 'v1');
    console.log(`web=3 serving after ${Date.now() - started} ms`);
    expect(tasks.map((t) => t.dyno).sort()).toEqual(['web.1', 'web.2', 'web.3']);
    expect(tasks[0]).toMatchObject({ app: 'shop', process: 'web', version: 1, releaseId: 'v1' });
    expect(tasks[0]!.hostname).not.toBe('');
    const answers = await Promise.all(tasks.map((t) => get(t.ports[0]!, 'shop', '/')));
    expect(answers.map((a) => a.body.trim()).sort()).toEqual(
      ['web.1', 'web.2', 'web.3'].map((dyno) => `${dyno} hello from v1`),
    );
    expect((await swarm.services.ensureService(spec)).action).toBe('unchanged');

    const container = await swarm.docker.getContainer(tasks[0]!.containerId).inspect();
    expect(container.Config.User).toBe('1000:1000');
    expect(container.HostConfig).toMatchObject({ CapDrop: ['ALL'], PidsLimit: 512, Init: true });
    expect(container.HostConfig.Memory).toBe(512 * 1024 ** 2);
    expect(container.HostConfig.NanoCpus).toBe(500_000_000);
    expect(container.Config.Labels).toMatchObject({ [LABELS.release]: 'v1', [LABELS.instance]: instance });
    // Swarm's ContainerSpec.Privileges.NoNewPrivileges is not in every Engine's API: report what this one did.
    const exec = await swarm.docker.getContainer(tasks[0]!.containerId).exec({
      Cmd: ['grep', 'NoNewPrivs', '/proc/1/status'],
      AttachStdout: true,
    });
    const stream = await exec.start({});
    const status = await new Promise<string>((resolve) => {
      let out = '';
      stream.on('data', (chunk: Buffer) => (out += chunk.toString('latin1')));
      stream.on('end', () => resolve(out));
    });
    console.log(`no-new-privileges in a task: ${status.replace(/[^\x20-\x7e]/g, '').trim()}`);
  });

  it('rolls a new release out start-first under 8 clients without a failed request', async () => {
    const proxy = await startTaskProxy(swarm.services, service);
    try {
      const loop = requestLoop({ port: proxy.port, host: 'shop', clients: 8, maxRequests: 100_000, maxMs: 150_000 });
      const started = Date.now();
      expect((await swarm.services.ensureService(serviceSpec(input('v2')))).action).toBe('updated');
      await untilUpdate('completed');
      const tasks = await untilServing(3, 'v2');
      const elapsed = Date.now() - started;
      // The last answers come from the new release only.
      await until('the proxy to route to v2 only', async () => {
        const answer = await get(proxy.port, 'shop', '/');
        return answer.body.includes('hello from v2') && proxy.upstreams().length === 3;
      });
      const result = await loop.stop();
      console.log(
        `rolling update: ${elapsed} ms, ${result.requests} requests from 8 clients, ${result.failures.length} failed`,
      );
      expect(result.failures).toEqual([]);
      expect(result.requests).toBeGreaterThan(100);
      expect(tasks.map((t) => t.dyno).sort()).toEqual(['web.1', 'web.2', 'web.3']);
    } finally {
      await proxy.stop();
    }
  });

  it('rolls back an update whose command exits at once, the old tasks serving throughout', async () => {
    const proxy = await startTaskProxy(swarm.services, service);
    try {
      const loop = requestLoop({ port: proxy.port, host: 'shop', clients: 8, maxRequests: 100_000, maxMs: 150_000 });
      const started = Date.now();
      const failing = serviceSpec(input('v3', {}, 'echo booting; exit 3'));
      expect((await swarm.services.ensureService(failing)).action).toBe('updated');
      const message = await untilUpdate('rollback_completed');
      const elapsed = Date.now() - started;
      await untilServing(3, 'v2');
      const result = await loop.stop();
      console.log(
        `failed update rolled back after ${elapsed} ms (${message}); ` +
          `${result.requests} requests meanwhile, ${result.failures.length} failed`,
      );
      expect(result.failures).toEqual([]);
      const failed = (await swarm.services.listTasks({ appId })).filter((t) => t.releaseId === 'v3');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((t) => t.desiredState !== 'running')).toBe(true);
      expect(failed.some((t) => t.exitCode === 3 || /exit/.test(t.error))).toBe(true);
      // The service runs the old spec again: the same spec is unchanged, the failed one would update again.
      expect((await swarm.services.ensureService(serviceSpec(input('v2')))).action).toBe('unchanged');
    } finally {
      await proxy.stop();
    }
  });

  it("replaces a killed task's container", async () => {
    const [victim] = await serving();
    const started = Date.now();
    await swarm.docker.getContainer(victim!.containerId).kill({ signal: 'SIGKILL' });
    const replaced = await until(
      `a new task in slot ${victim!.slot}`,
      async () =>
        (await serving()).find((t) => t.slot === victim!.slot && t.containerId !== victim!.containerId) ?? false,
      60_000,
    );
    console.log(`killed ${victim!.dyno}: replaced and healthy after ${Date.now() - started} ms`);
    expect(replaced.dyno).toBe(victim!.dyno);
    const answer = await get(replaced.ports[0]!, 'shop', '/');
    expect(answer.body).toContain(`${victim!.dyno} hello from v2`);
    const dead = (await swarm.services.listTasks({ appId })).find((t) => t.id === victim!.id);
    expect(dead).toMatchObject({ state: 'failed', desiredState: 'shutdown', exitCode: 137 });
  });

  it('scales web from 1 to 8, every task healthy, and reports how long it took', async () => {
    await swarm.services.ensureService(serviceSpec(input('v2', { quantity: 1 })));
    await untilServing(1, 'v2');
    const started = Date.now();
    await swarm.services.ensureService(serviceSpec(input('v2', { quantity: 8 })));
    const tasks = await untilServing(8, 'v2', 120_000);
    const elapsed = Date.now() - started;
    console.log(`scale web 1→8: all 8 healthy after ${elapsed} ms`);
    expect(new Set(tasks.map((t) => t.dyno)).size).toBe(8);
    const answers = await Promise.all(tasks.map((t) => get(t.ports[0]!, 'shop', '/')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // Idle tasks spend their CPU on the 1 s health check (a node process each time): what that costs.
    const cpu = () => Promise.all(tasks.map((t) => cpuNs(t.containerId)));
    const [before, at] = [await cpu(), Date.now()];
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const after = await cpu();
    const used = after.reduce((sum, ns, i) => sum + ns - before[i]!, 0) / 1e6 / (Date.now() - at);
    console.log(`8 idle web tasks with their health checks: ${(used * 100).toFixed(1)}% of one CPU`);
  });

  it.skipIf(!hasIpvs())('publishes web on the routing mesh at 127.0.0.1:<port>', async () => {
    const port = 30_000 + Math.floor(Math.random() * 2000);
    await swarm.services.ensureService(serviceSpec(input('v2', { quantity: 2, publish: { mode: 'ingress', port } })));
    await untilUpdate('completed');
    const answer = await until('the mesh to answer', async () => (await get(port, 'shop', '/')).status === 200);
    expect(answer).toBe(true);
  });

  it('removes the service and its tasks', async () => {
    expect(await swarm.services.removeService(service)).toBe(true);
    expect(await swarm.services.removeService(service)).toBe(false);
    await until('no tasks left', async () => (await swarm.services.listTasks({ appId })).length === 0, 60_000);
  });
});
