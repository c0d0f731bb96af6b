import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { instanceFilter, isInstanceContainer, LABELS, labelFilter, networkName } from '@plat/core';
import { dynoContainerOptions } from '../container-options.js';
import { statusOf } from '../docker-errors.js';
import { DYNO_PORT, type DynoSpec } from '../dyno-spec.js';
import { refuseReservedLabels } from './images.js';
import type { Sandbox } from './sandboxes.js';
import type { ObservedDyno } from '../reconcile.js';
import type { DynoState } from '../runtime.js';

/** A container name's suffix, drawn per start (container-options.ts). */
export function startSuffix(): string {
  return randomBytes(3).toString('hex');
}

/** What a dyno's labels say of it, shared by a listing and an inspection. */
type LabelledFacts = Pick<ObservedDyno, 'key' | 'app' | 'dyno' | 'process' | 'releaseId' | 'version'>;

function labelled(labels: Record<string, string>): LabelledFacts {
  return {
    key: labels[LABELS.key] ?? '',
    app: labels[LABELS.app] ?? '',
    dyno: labels[LABELS.dyno] ?? '',
    process: labels[LABELS.process] ?? '',
    releaseId: labels[LABELS.release] ?? '',
    version: Number(labels[LABELS.version] ?? 0),
  };
}

/**
 * Where the router reaches a running web dyno: $PORT at its address on the
 * app's network. Nothing is published on the host (Docker's port proxy cost
 * each start ~25 ms and each request a hop), and an address in the app's own
 * subnet is never another app's, where a freed host port could be.
 */
function reachedAt(
  labels: Record<string, string>,
  networks: Record<string, { IPAddress?: string }> | undefined,
  running: boolean,
): Pick<ObservedDyno, 'port' | 'address'> {
  if (!running || labels[LABELS.process] !== 'web') return {};
  const address = Object.values(networks ?? {})
    .map((network) => network.IPAddress)
    .find(Boolean);
  return address ? { port: DYNO_PORT, address } : {};
}

function toObserved(info: Docker.ContainerInspectInfo, sandbox?: Sandbox): ObservedDyno | undefined {
  const labels = info.Config.Labels ?? {};
  if (!labels[LABELS.dyno]) return undefined;
  // A dyno in a sandbox has no network of its own: its address is the sandbox's.
  const networks = sandbox ? { sandbox: { IPAddress: sandbox.address } } : info.NetworkSettings.Networks;
  return {
    id: info.Id,
    containerName: info.Name.replace(/^\//, ''),
    ...labelled(labels),
    command: (info.Config.Cmd ?? []).slice(2).join(' '),
    createdAt: new Date(info.Created),
    running: info.State.Running,
    ...reachedAt(labels, networks, info.State.Running),
  };
}

/** Creates and starts the dyno's container; resolves with what Docker observed. */
export async function startDyno(docker: Docker, spec: DynoSpec): Promise<ObservedDyno> {
  await refuseReservedLabels(docker, spec.image);
  const container = await docker.createContainer(dynoContainerOptions(spec, startSuffix()));
  await container.start();
  return observe(container, spec);
}

/**
 * Creates and starts the dyno's container in its network sandbox; resolves
 * with what Docker observed, or with nothing when it would not start there
 * (a sandbox that died meanwhile): then the container is gone again, and the
 * caller starts the dyno without.
 */
export async function startDynoInSandbox(
  docker: Docker,
  spec: DynoSpec,
  sandbox: Sandbox,
): Promise<ObservedDyno | undefined> {
  await refuseReservedLabels(docker, spec.image);
  // Docker refuses to create one joining a sandbox that is gone: the usual start shows any other fault.
  const container = await docker
    .createContainer(dynoContainerOptions(spec, startSuffix(), sandbox.id))
    .catch(() => undefined);
  if (!container) return undefined;
  try {
    await container.start();
  } catch {
    await container.remove({ force: true }).catch(() => {});
    return undefined;
  }
  return observe(container, spec, sandbox);
}

async function observe(container: Docker.Container, spec: DynoSpec, sandbox?: Sandbox): Promise<ObservedDyno> {
  const observed = toObserved(await container.inspect(), sandbox);
  if (!observed) throw new Error(`container ${spec.containerName} lost its labels`);
  return observed;
}

/** Dynos of this instance's formations (of one app, when named), running or not; one-offs are not among them. */
export async function listDynos(docker: Docker, instance: string, app?: string): Promise<ObservedDyno[]> {
  const label = [instanceFilter(instance), labelFilter(LABELS.dyno)];
  if (app) label.push(labelFilter(LABELS.app, app));
  const listed = await docker.listContainers({ all: true, filters: { label } });
  const containers = listed.filter((info) => isInstanceContainer(instance, info.Names) && !info.Labels[LABELS.oneOff]);
  const sandboxes = containers.some((info) => info.Labels[LABELS.inSandbox])
    ? await runningSandboxes(docker, instance)
    : new Map<string, RunningSandbox>();
  return containers.map((info) => {
    const exited = /^Exited \((-?\d+)\)/.exec(info.Status)?.[1];
    const inSandbox = info.Labels[LABELS.inSandbox];
    const sandbox = inSandbox ? sandboxes.get(inSandbox) : undefined;
    // A dyno whose sandbox stopped or went lost its network: it counts as dead, and is replaced.
    const running =
      info.State === 'running' &&
      (!inSandbox || sandbox?.network === networkName(instance, info.Labels[LABELS.appId] ?? ''));
    return {
      id: info.Id,
      containerName: (info.Names[0] ?? '').replace(/^\//, ''),
      ...labelled(info.Labels),
      command: info.Command.replace(/^\/bin\/sh -c /, ''),
      createdAt: new Date(info.Created * 1000),
      running,
      ...reachedAt(info.Labels, inSandbox ? sandbox?.networks : info.NetworkSettings?.Networks, running),
      ...(exited !== undefined ? { exitCode: Number(exited) } : {}),
    };
  });
}

interface RunningSandbox {
  /** The app network it was started on (its label). */
  network: string;
  networks: Record<string, { IPAddress?: string }>;
}

/** This instance's running network sandboxes, by container id. */
async function runningSandboxes(docker: Docker, instance: string): Promise<Map<string, RunningSandbox>> {
  const listed = await docker.listContainers({
    filters: { label: [instanceFilter(instance), labelFilter(LABELS.sandbox)] },
  });
  return new Map(
    listed
      .filter((info) => isInstanceContainer(instance, info.Names) && info.State === 'running')
      .map((info) => [
        info.Id,
        { network: info.Labels[LABELS.sandbox] ?? '', networks: info.NetworkSettings?.Networks ?? {} },
      ]),
  );
}

/** Whether the container still runs, and its exit code when it does not. */
export async function dynoState(docker: Docker, id: string): Promise<DynoState> {
  const info = await docker.getContainer(id).inspect();
  return { running: info.State.Running, exitCode: info.State.ExitCode };
}

/**
 * SIGTERM, then SIGKILL after the grace period; then the container is
 * removed. Resolves with the network sandbox it had joined and its app's
 * id, for the caller to remove that too.
 */
export async function removeDyno(
  docker: Docker,
  id: string,
  graceSeconds: number,
): Promise<{ sandbox: string; appId: string } | undefined> {
  const container = docker.getContainer(id);
  // What it joined is read first: a removed container has no labels left to read.
  const labels = await container.inspect().then(
    (info) => info.Config.Labels ?? {},
    (error: unknown) => {
      // Gone already: nothing to read (its sandbox, if any, is a leftover the sweep finds).
      if (statusOf(error) === 404) return {} as Record<string, string>;
      throw error;
    },
  );
  const sandbox = labels[LABELS.inSandbox];
  try {
    await container.stop({ t: graceSeconds });
  } catch (error) {
    const status = statusOf(error);
    if (status !== 304 && status !== 404) throw error;
  }
  try {
    await container.remove({ force: true });
  } catch (error) {
    const status = statusOf(error);
    if (status !== 404 && status !== 409) throw error;
  }
  return sandbox ? { sandbox, appId: labels[LABELS.appId] ?? '' } : undefined;
}
