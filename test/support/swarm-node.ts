/**
 * A second server for swarm tests, made on this host: a container running
 * Debian's dockerd (Docker-in-Docker) on a bridge network the test creates,
 * so the host's Engine (the manager) and the node reach each other at real,
 * non-loopback addresses. Nothing is pulled: the node image is plat/stack
 * (made by the set-up from Debian's packages) with Debian's docker.io added,
 * built once and kept under a stable tag until its recipe or its base changes.
 *
 * The node cannot be `--privileged` here (that failed on this machine); what
 * its dockerd needs instead: every capability but SYS_RESOURCE, no seccomp or
 * AppArmor profile, /proc and /sys unmasked (systempaths=unconfined), the
 * cgroup hierarchy writable, and /var/lib/docker on a volume (overlay on
 * overlay is refused; a volume is the host's ext4). Its dockerd puts its
 * containers under a cgroup parent of its own, which cleanup removes.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { STACK_IMAGE } from '@plat/core';
import type Docker from 'dockerode';
import { demultiplex } from '../../apps/api/src/controller/docker/logs.js';
import { ImageBuilder } from '../../apps/builder/src/image-builder.js';
import { until } from './until.js';

/** The node image: kept between runs, rebuilt when the recipe or plat/stack changes. */
export const NODE_IMAGE = 'plat-test/swarm-node:latest';
/** Marks everything a run makes (network, node, volume), for cleanup and the leftover check. */
export const RUN_LABEL = 'plat-test.run';
const RECIPE_LABEL = 'plat-test.node-recipe';
const NODE_DOCKERFILE = [
  `FROM ${STACK_IMAGE}`,
  'USER root',
  // docker.io brings containerd, runc and iptables; the stack's sources list is Debian's over HTTP.
  'RUN apt-get update \\',
  ' && apt-get install -y --no-install-recommends docker.io iptables \\',
  ' && apt-get clean && rm -rf /var/lib/apt/lists/*',
  '',
].join('\n');
const CGROUP_ROOT = '/sys/fs/cgroup';

/** Builds the node image unless the one kept here matches the recipe; says whether it built and how long. */
export async function ensureNodeImage(docker: Docker): Promise<{ built: boolean; ms: number }> {
  const started = Date.now();
  const base = await docker.getImage(STACK_IMAGE).inspect();
  const recipe = createHash('sha256').update(`${NODE_DOCKERFILE}\n${base.Id}`).digest('hex').slice(0, 16);
  const builder = new ImageBuilder(docker);
  const labels = await builder.labels(NODE_IMAGE);
  if (labels?.[RECIPE_LABEL] === recipe) return { built: false, ms: Date.now() - started };
  const previous = labels ? (await docker.getImage(NODE_IMAGE).inspect()).Id : undefined;
  const context = mkdtempSync(join(tmpdir(), 'plat-test-node-'));
  const lines: string[] = [];
  try {
    writeFileSync(join(context, 'Dockerfile'), NODE_DOCKERFILE);
    await builder.build({
      contextDir: context,
      dockerfile: 'Dockerfile',
      tag: NODE_IMAGE,
      labels: { [RECIPE_LABEL]: recipe },
      maxOutputBytes: Number.POSITIVE_INFINITY,
      timeoutMs: 600_000,
      onLine: (line) => lines.push(line),
    });
  } catch (error) {
    throw new Error(`building ${NODE_IMAGE} failed: ${(error as Error).message}\n${lines.slice(-30).join('\n')}`);
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  // The image of an older recipe, untagged now: nothing else uses it.
  if (previous)
    await docker
      .getImage(previous)
      .remove()
      .catch(() => undefined);
  return { built: true, ms: Date.now() - started };
}

export interface NodeNetwork {
  name: string;
  id: string;
  /** The host's address on it: where the node reaches the manager and the registry. */
  gateway: string;
  subnet: string;
}

/** A labelled bridge network for the run; its gateway is the host's address on it. */
export async function createNodeNetwork(docker: Docker, name: string, run: string): Promise<NodeNetwork> {
  const created = await docker.createNetwork({ Name: name, Driver: 'bridge', Labels: { [RUN_LABEL]: run } });
  const info = (await created.inspect()) as { Id: string; IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] } };
  const config = info.IPAM?.Config?.[0];
  if (!config?.Gateway || !config.Subnet)
    throw new Error(`network ${name} has no gateway: ${JSON.stringify(info.IPAM)}`);
  return { name, id: info.Id, gateway: config.Gateway, subnet: config.Subnet };
}

export interface DockerNode {
  /** The container's name. */
  name: string;
  /** The node's hostname: what the swarm, `plat nodes` and `plat ps` call it. */
  hostname: string;
  /** Its address on the run's network. */
  address: string;
  /** The cgroup parent its dockerd puts containers under. */
  cgroupParent: string;
  /** The end of the node's dockerd log, for failure messages. */
  log(lines?: number): Promise<string>;
  /** Runs a program in the node (argument array); its exit code and output. */
  exec(cmd: string[]): Promise<{ code: number; output: string }>;
  /** Leaves the swarm, removes the container (and its dynos with it), its volume and its cgroup parent. */
  remove(): Promise<void>;
}

/**
 * Starts a node on `network` and waits until its dockerd answers. Removed
 * again when it fails to come up, its log in the error.
 */
export async function startDockerNode(
  docker: Docker,
  options: { name: string; hostname: string; network: string; run: string },
): Promise<DockerNode> {
  const labels = { [RUN_LABEL]: options.run };
  const volume = `${options.name}-docker`;
  const cgroupParent = `${options.name}-dynos`;
  await docker.createVolume({ Name: volume, Labels: labels });
  const hostConfig = {
    // Every capability but SYS_RESOURCE, which this machine's runtime refuses (so --privileged fails).
    CapAdd: ['ALL'],
    CapDrop: ['SYS_RESOURCE'],
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    // systempaths=unconfined: the node's dockerd writes to /proc/sys for its networks.
    MaskedPaths: [],
    ReadonlyPaths: [],
    // tini as PID 1 reaps what the node's containerd leaves.
    Init: true,
    Mounts: [
      { Type: 'volume', Source: volume, Target: '/var/lib/docker' },
      { Type: 'bind', Source: CGROUP_ROOT, Target: CGROUP_ROOT, ReadOnly: false },
    ],
  };
  const container = await docker
    .createContainer({
      name: options.name,
      Hostname: options.hostname,
      Image: NODE_IMAGE,
      User: 'root',
      WorkingDir: '/',
      // Absolute: a relative parent would nest under the node's own cgroup, which the host's Docker then cannot remove.
      Cmd: ['dockerd', `--cgroup-parent=/${cgroupParent}`],
      Labels: labels,
      HostConfig: { ...hostConfig, NetworkMode: options.network } as Docker.HostConfig,
    })
    .catch(async (error: Error) => {
      await docker
        .getVolume(volume)
        .remove()
        .catch(() => undefined);
      throw error;
    });
  const log = async (lines = 60) => {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer;
    return demultiplex(raw);
  };
  const exec = async (cmd: string[]) => execIn(docker, container, cmd);
  const remove = async () => {
    // Out of the swarm first, so the manager sees it go rather than go down.
    await exec(['docker', 'swarm', 'leave', '--force']).catch(() => undefined);
    await container.remove({ force: true }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
    await docker
      .getVolume(volume)
      .remove()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
    // The node's containers die with it, a moment later: their cgroups can go once empty.
    await until(
      `the cgroups under ${cgroupParent} to go`,
      async () => {
        removeCgroupParent(cgroupParent);
        return cgroupParentDirs(cgroupParent).length === 0;
      },
      30_000,
    );
  };
  try {
    await container.start();
    await until(
      `the dockerd in ${options.name} to answer`,
      async () => (await exec(['docker', 'version', '--format', '{{.Server.Version}}'])).code === 0,
      60_000,
    );
  } catch (error) {
    const shown = await log().catch(() => '(no log)');
    await remove().catch(() => undefined);
    throw new Error(`${(error as Error).message}\ndockerd in ${options.name}:\n${shown}`);
  }
  const inspected = await container.inspect();
  const address = inspected.NetworkSettings.Networks[options.network]?.IPAddress ?? '';
  return { name: options.name, hostname: options.hostname, address, cgroupParent, log, exec, remove };
}

/**
 * Runs `plat nodes:join-command | docker exec -i <node> sh`, as the README's
 * `| ssh root@node sh`: the script (client key, join token) goes over the
 * pipe, never in an argument.
 */
export function pipeIntoNode(
  producer: { command: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string },
  node: string,
  timeoutMs = 120_000,
): Promise<{ code: number; producerCode: number; output: string }> {
  return new Promise((resolve, reject) => {
    const plat = spawn(producer.command, producer.args, {
      cwd: producer.cwd,
      env: producer.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sh = spawn('docker', ['exec', '-i', node, 'sh'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => (output += chunk);
    plat.stderr.on('data', keep);
    sh.stdout.on('data', keep);
    sh.stderr.on('data', keep);
    plat.stdout.pipe(sh.stdin);
    const timer = setTimeout(() => {
      plat.kill('SIGKILL');
      sh.kill('SIGKILL');
      reject(new Error(`the join did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const platDone = new Promise<number>((r) => plat.on('close', (code) => r(code ?? -1)));
    plat.on('error', reject);
    sh.on('error', reject);
    sh.on('close', async (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, producerCode: await platDone, output });
    });
  });
}

async function execIn(docker: Docker, container: Docker.Container, cmd: string[]) {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const out = new PassThrough();
  let output = '';
  out.on('data', (chunk: Buffer) => (output += chunk));
  docker.modem.demuxStream(stream, out, out);
  await new Promise((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  return { code: ExitCode ?? -1, output };
}

/** Where a cgroup parent is, in each cgroup v1 controller (or the v2 tree). */
export function cgroupParentDirs(parent: string): string[] {
  if (!existsSync(CGROUP_ROOT)) return [];
  const dirs = [join(CGROUP_ROOT, parent)];
  for (const controller of readdirSync(CGROUP_ROOT)) dirs.push(join(CGROUP_ROOT, controller, parent));
  return dirs.filter((dir) => existsSync(dir));
}

/** Removes the node's cgroup parent, deepest first: empty once its containers are gone. */
function removeCgroupParent(parent: string): void {
  for (const dir of cgroupParentDirs(parent)) removeTree(dir);
}

function removeTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }))
    if (entry.isDirectory()) removeTree(join(dir, entry.name));
  try {
    rmdirSync(dir);
  } catch {
    // Still in use, or gone: the leftover check says so.
  }
}
