import type Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { instanceFilter, isInstanceContainer, LABELS, labelFilter } from '@plat/core';
import { dynoContainerOptions } from '../container-options.js';
import { statusOf } from '../docker-errors.js';
import { DYNO_PORT, type DynoSpec } from '../dyno-spec.js';
import { refuseReservedLabels } from './images.js';
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

function toObserved(info: Docker.ContainerInspectInfo): ObservedDyno | undefined {
  const labels = info.Config.Labels ?? {};
  if (!labels[LABELS.dyno]) return undefined;
  return {
    id: info.Id,
    containerName: info.Name.replace(/^\//, ''),
    ...labelled(labels),
    command: (info.Config.Cmd ?? []).slice(2).join(' '),
    createdAt: new Date(info.Created),
    running: info.State.Running,
    ...reachedAt(labels, info.NetworkSettings.Networks, info.State.Running),
  };
}

/** Creates and starts the dyno's container; resolves with what Docker observed. */
export async function startDyno(docker: Docker, spec: DynoSpec): Promise<ObservedDyno> {
  await refuseReservedLabels(docker, spec.image);
  const container = await docker.createContainer(dynoContainerOptions(spec, startSuffix()));
  await container.start();
  const observed = toObserved(await container.inspect());
  if (!observed) throw new Error(`container ${spec.containerName} lost its labels`);
  return observed;
}

/** Dynos of this instance's formations (of one app, when named), running or not; one-offs are not among them. */
export async function listDynos(docker: Docker, instance: string, app?: string): Promise<ObservedDyno[]> {
  const label = [instanceFilter(instance), labelFilter(LABELS.dyno)];
  if (app) label.push(labelFilter(LABELS.app, app));
  const listed = await docker.listContainers({ all: true, filters: { label } });
  const containers = listed.filter((info) => isInstanceContainer(instance, info.Names) && !info.Labels[LABELS.oneOff]);
  return containers.map((info) => {
    const exited = /^Exited \((-?\d+)\)/.exec(info.Status)?.[1];
    return {
      id: info.Id,
      containerName: (info.Names[0] ?? '').replace(/^\//, ''),
      ...labelled(info.Labels),
      command: info.Command.replace(/^\/bin\/sh -c /, ''),
      createdAt: new Date(info.Created * 1000),
      running: info.State === 'running',
      ...reachedAt(info.Labels, info.NetworkSettings?.Networks, info.State === 'running'),
      ...(exited !== undefined ? { exitCode: Number(exited) } : {}),
    };
  });
}

/** Whether the container still runs, and its exit code when it does not. */
export async function dynoState(docker: Docker, id: string): Promise<DynoState> {
  const info = await docker.getContainer(id).inspect();
  return { running: info.State.Running, exitCode: info.State.ExitCode };
}

/** SIGTERM, then SIGKILL after the grace period; then the container is removed. */
export async function removeDyno(docker: Docker, id: string, graceSeconds: number): Promise<void> {
  const container = docker.getContainer(id);
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
}
