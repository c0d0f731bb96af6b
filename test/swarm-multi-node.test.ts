/**
 * Plat on two servers (issue 16): the host's Engine is the swarm manager and
 * a Docker-in-Docker container on a network this test creates is the worker
 * (support/swarm-node.ts). As a user growing to a second server would: start
 * platd with PLAT_RUNTIME=swarm and its registry on the manager's address
 * (mutual TLS with Plat's CA), `git push` (web.1 on the manager, the only
 * node), pipe `plat nodes:join-command` into the new server, see two ready
 * nodes in `plat nodes`, `plat scale web=2` and find in `plat ps` the new
 * dyno on the worker (Swarm spreads a service's tasks), which pulled the
 * build from Plat's registry over mutual TLS and answers through the router;
 * `plat nodes:drain` the worker and both dynos answer from the manager.
 * Needs Docker: run under `flock /tmp/plat-docker.lock`.
 *
 * With no swarm here, one is made advertised on the network's gateway and
 * left afterwards; a swarm found here is used when the node can reach its
 * manager (not on loopback). Everything the run made is removed, failed or
 * not, and checked gone.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmdirSync, rmSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwarmServices } from '../apps/api/src/controller/swarm/services.js';
import { exampleRepo } from './support/app-repo.js';
import { get } from './support/http.js';
import { NODE } from './support/node.js';
import { ROOT, startPlatd, type Platd } from './support/platd.js';
import { freePort } from './support/ports.js';
import { run, type RunResult } from './support/run.js';
import { hasNetwork, removeInstanceServices, TEST_ADDR_POOL } from './support/swarm.js';
import {
  cgroupParentDirs,
  createNodeNetwork,
  type DockerNode,
  ensureNodeImage,
  type NodeNetwork,
  pipeIntoNode,
  RUN_LABEL,
  startDockerNode,
} from './support/swarm-node.js';
import { until } from './support/until.js';

const APP = 'spread';
const HOST = `${APP}.localhost`;
const RUN = randomBytes(3).toString('hex');
const PREFIX = `plat-test-${RUN}`;
const CERTS_DIR = '/etc/docker/certs.d';
/** A first push to an empty registry carries the stack's layers; the worker pulls them all too. */
const PUSH_MS = 300_000;
const PULL_MS = 300_000;
/** Building the node image on a fresh machine (Debian's docker.io over HTTP), then platd's start. */
const SETUP_MS = 900_000;

const docker = new Docker();
const swarmServices = new SwarmServices({ docker, instance: '' });
const found = await swarmServices.swarmState();
/** A swarm here already on loopback (or not managed here): the node could not join it. */
const skipReason =
  found.state === 'inactive'
    ? undefined
    : !found.manager
      ? `this Engine is in a swarm it does not manage (${found.state})`
      : isIP(found.nodeAddr) && /^(127\.|::1$)/.test(found.nodeAddr)
        ? `this Engine manages a swarm on loopback (${found.nodeAddr}), which a second node cannot reach`
        : undefined;

interface ShownNode {
  id: string;
  hostname: string;
  role: string;
  state: string;
  availability: string;
  address: string;
}

interface ShownDyno {
  name: string;
  type: string;
  state: string;
  release: number;
  node?: string;
}

/** Undone in reverse order in afterAll, whatever failed before. */
const cleanups: { what: string; undo: () => Promise<unknown> }[] = [];
const timings: Record<string, number> = {};
let network: NodeNetwork;
let worker: DockerNode;
let manager: string;
let platd: Platd;
/** PLAT_REGISTRY_ADDR: the manager's address on the network, a free port. */
let registry: string;
let repo: string;

function plat(args: string[]): Promise<RunResult> {
  return platd.plat(args, { cwd: repo });
}

async function json<T>(args: string[]): Promise<T> {
  const result = await plat([...args, '--json']);
  if (result.code !== 0) throw new Error(`plat ${args.join(' ')} failed: ${result.output}`);
  return JSON.parse(result.stdout) as T;
}

const nodes = () => json<ShownNode[]>(['nodes']);
const webDynos = async () => (await json<ShownDyno[]>(['ps'])).filter((d) => d.type === 'web');

/** The worker's dockerd log and `plat ps`, for a failure's message. */
async function context(): Promise<string> {
  const ps = await plat(['ps']).catch((error: Error) => ({ output: error.message }));
  const log = await worker.log(40).catch((error: Error) => error.message);
  return `plat ps:\n${ps.output}\ndockerd on ${worker.hostname}:\n${log}`;
}

/** Waits until the web dynos are `count`, up, and on these nodes (hostnames, sorted); with the worker's log if not. */
async function untilWebOn(expected: string[], timeoutMs: number): Promise<ShownDyno[]> {
  let seen: ShownDyno[] = [];
  return until(
    `web dynos up on ${expected.join(' and ')}`,
    async () => {
      seen = await webDynos();
      const up = seen.filter((d) => d.state === 'up');
      const on = up.map((d) => d.node ?? '?').sort();
      return up.length === seen.length && JSON.stringify(on) === JSON.stringify([...expected].sort()) ? up : undefined;
    },
    timeoutMs,
  ).catch(async (error: Error) => {
    const shown = seen.map((d) => `${d.name} ${d.state} on ${d.node ?? '?'}`).join(', ');
    throw new Error(`${error.message}; dynos: ${shown || 'none'}\n${await context()}`);
  });
}

/** Asks the router until `dyno` answers 200; its answer. */
async function answerFrom(dyno: string, timeoutMs = 60_000): Promise<string> {
  let last = '';
  return until(
    `${dyno} to answer through the router`,
    async () => {
      const response = await get(platd.routerPort, HOST);
      last = `${response.status} ${response.body.trim()}`;
      return response.status === 200 && response.body.includes(`(dyno ${dyno})`) ? response.body : undefined;
    },
    timeoutMs,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last answer: ${last}`);
  });
}

/** What of this run is still here: containers, volumes, networks, services, trust files, cgroups. */
async function leftovers(): Promise<string[]> {
  const filters = { label: [`${RUN_LABEL}=${RUN}`] };
  const left: string[] = [];
  for (const c of await docker.listContainers({ all: true, filters })) left.push(`container ${c.Names[0]}`);
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) left.push(`volume ${v.Name}`);
  for (const n of await docker.listNetworks({ filters })) left.push(`network ${n.Name}`);
  if (platd) {
    const instance = { label: [`plat.instance=${platd.instance}`] };
    for (const c of await docker.listContainers({ all: true, filters: instance })) left.push(`container ${c.Id}`);
    for (const n of await docker.listNetworks({ filters: instance })) left.push(`network ${n.Name}`);
    if ((await swarmServices.swarmState()).state === 'active')
      for (const s of await docker.listServices({ filters: instance })) left.push(`service ${s.Spec?.Name}`);
  }
  if (registry && existsSync(join(CERTS_DIR, registry))) left.push(`trust ${join(CERTS_DIR, registry)}`);
  if (worker) for (const dir of cgroupParentDirs(worker.cgroupParent)) left.push(`cgroup ${dir}`);
  return left;
}

describe.skipIf(skipReason !== undefined)(`Plat on two nodes${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    const started = Date.now();
    const gatewayBefore = await hasNetwork(docker, 'docker_gwbridge');
    const certsDirBefore = existsSync(CERTS_DIR);
    // The node image first: building it needs no swarm, and on a fresh machine it is the long step.
    const image = await ensureNodeImage(docker);
    timings[image.built ? 'node image built' : 'node image reused'] = image.ms;

    network = await createNodeNetwork(docker, `${PREFIX}-nodes`, RUN);
    cleanups.push({ what: `network ${network.name}`, undo: () => docker.getNetwork(network.id).remove() });

    if (found.state === 'inactive') {
      // The manager listens on the network's gateway, the host's address there: the node reaches it.
      await swarmServices.initSwarm({
        advertiseAddr: network.gateway,
        listenAddr: `${network.gateway}:2377`,
        defaultAddrPool: [TEST_ADDR_POOL],
        subnetSize: 24,
      });
      cleanups.push({
        what: 'the swarm made here',
        undo: async () => {
          await swarmServices.leaveSwarm({ force: true });
          // Swarm makes the gateway bridge and keeps it after leaving.
          if (!gatewayBefore && (await hasNetwork(docker, 'docker_gwbridge')))
            await docker.getNetwork('docker_gwbridge').remove();
        },
      });
    }
    manager = (await docker.info()).Name;

    worker = await startDockerNode(docker, {
      name: `${PREFIX}-node-b`,
      hostname: `node-b-${RUN}`,
      network: network.name,
      run: RUN,
    });
    cleanups.push({ what: `node ${worker.name}`, undo: () => removeWorker() });
    timings['node up'] = Date.now() - started;

    registry = `${network.gateway}:${await freePort()}`;
    platd = await startPlatd({ env: { PLAT_RUNTIME: 'swarm', PLAT_REGISTRY_ADDR: registry } });
    cleanups.push({
      what: `platd ${platd.instance}`,
      undo: async () => {
        await platd.destroy();
        await removeInstanceServices(docker, platd.instance);
        // platd installed the registry's trust on this host (its Docker pushes there); platd does not remove it.
        rmSync(join(CERTS_DIR, registry), { recursive: true, force: true });
        if (!certsDirBefore) rmdirSafe(CERTS_DIR);
      },
    });
    const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
    expect(login.code, login.output).toBe(0);
    repo = await exampleRepo(platd, 'flask-hello');
    const created = await plat(['apps:create', APP]);
    expect(created.code, created.output).toBe(0);
  }, SETUP_MS);

  afterAll(async () => {
    const failures: string[] = [];
    for (const { what, undo } of cleanups.reverse())
      await undo().catch((error: Error) => failures.push(`removing ${what}: ${error.message}`));
    const left = await leftovers();
    console.log('multi-node timings (ms):', JSON.stringify(timings));
    if (failures.length > 0 || left.length > 0)
      throw new Error([...failures, ...left.map((l) => `left behind: ${l}`)].join('\n'));
  }, 300_000);

  it(
    'deploys with git push while the manager is the only server: web.1 runs there',
    async () => {
      const started = Date.now();
      const pushed = await run('git', ['push', 'platform', 'main'], {
        cwd: repo,
        env: platd.userEnv,
        timeoutMs: PUSH_MS,
      });
      expect(pushed.code, pushed.output.split('\n').slice(-40).join('\n')).toBe(0);
      expect(pushed.output).toContain('Released v2');
      timings.push = Date.now() - started;
      const [dyno] = await untilWebOn([manager], 60_000);
      await answerFrom(dyno!.name);
    },
    PUSH_MS + 60_000,
  );

  it('joins the new server with `plat nodes:join-command | docker exec -i NODE sh`: two ready nodes', async () => {
    const started = Date.now();
    const joined = await pipeIntoNode(
      {
        command: NODE,
        args: [join(ROOT, 'apps/cli/bin/plat.js'), 'nodes:join-command'],
        env: platd.userEnv,
        cwd: repo,
      },
      worker.name,
    );
    expect(joined.producerCode, joined.output).toBe(0);
    expect(joined.code, `${joined.output}\n${await worker.log()}`).toBe(0);
    expect(joined.output).toContain('This node joined a swarm as a worker.');
    // The script put the registry's CA and the client certificate where the node's Docker looks.
    const trust = await worker.exec(['ls', join(CERTS_DIR, registry)]);
    expect(trust.output.split('\n').filter(Boolean).sort()).toEqual(['ca.crt', 'client.cert', 'client.key']);

    const listed = await until(
      'two ready, active nodes in plat nodes',
      async () => {
        const shown = await nodes();
        return shown.length === 2 && shown.every((n) => n.state === 'ready' && n.availability === 'active')
          ? shown
          : undefined;
      },
      60_000,
    );
    expect(listed.map((n) => [n.hostname, n.role])).toEqual([
      [manager, 'manager'],
      [worker.hostname, 'worker'],
    ]);
    expect(listed[1]!.address).toBe(worker.address);
    const table = await plat(['nodes']);
    expect(table.output).toMatch(new RegExp(`${worker.hostname}\\s+worker\\s+ready\\s+active`));
    timings.join = Date.now() - started;
  });

  it(
    'scales to web=2: the new dyno runs on the worker, pulled from the registry, and answers through the router',
    async () => {
      let started = Date.now();
      const scaled = await plat(['scale', 'web=2']);
      expect(scaled.code, scaled.output).toBe(0);
      // Swarm spreads a service's tasks: web.2 goes to the worker, which pulls the build (the stack's layers too).
      const dynos = await untilWebOn([manager, worker.hostname], PULL_MS);
      timings['web=2 on both nodes'] = Date.now() - started;
      const onWorker = dynos.find((d) => d.node === worker.hostname)!;
      const shown = await plat(['ps']);
      expect(shown.output).toContain(`${onWorker.name}: up`);
      expect(shown.output).toMatch(new RegExp(`${onWorker.name.replace('.', '\\.')}: up .* on ${worker.hostname}`));

      // The worker's Docker pulled it from Plat's registry, by digest.
      const images = await worker.exec([
        'docker',
        'image',
        'ls',
        '--digests',
        '--format',
        '{{.Repository}}@{{.Digest}}',
      ]);
      expect(images.output).toContain(`${registry}/plat/${platd.instance}-${APP}@sha256:`);

      started = Date.now();
      const body = await answerFrom(onWorker.name);
      expect(body).toContain('Hello from Flask on Plat');
      timings['worker dyno answers'] = Date.now() - started;
    },
    PULL_MS + 120_000,
  );

  it('drains the worker: its dyno moves to the manager and the app still answers', async () => {
    const started = Date.now();
    const drained = await plat(['nodes:drain', worker.hostname]);
    expect(drained.code, drained.output).toBe(0);
    expect(drained.output).toContain(`done (${worker.hostname}: drain)`);
    const dynos = await untilWebOn([manager, manager], 120_000);
    for (const dyno of dynos) await answerFrom(dyno.name);
    const shown = await nodes();
    expect(shown.find((n) => n.hostname === worker.hostname)).toMatchObject({ availability: 'drain' });
    timings.drain = Date.now() - started;
  });
});

/** The worker leaves and goes; the manager forgets it (a swarm found here stays, without it). */
async function removeWorker(): Promise<void> {
  const listed: { ID: string; Description?: { Hostname?: string } }[] = await docker.listNodes().catch(() => []);
  const id = listed.find((n) => n.Description?.Hostname === worker.hostname)?.ID;
  await worker.remove();
  if (id && (await swarmServices.swarmState()).state === 'active')
    await until(`the manager to forget ${worker.hostname}`, async () => {
      await docker
        .getNode(id)
        .remove({ force: true })
        .catch((error: { statusCode?: number }) => {
          if (error.statusCode !== 404) throw error;
        });
      return true;
    });
}

function rmdirSafe(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // Not empty (something else keeps trust there) or already gone.
  }
}
