import type Docker from 'dockerode';
import { instanceFilter, LABELS, labelFilter, SWARM_LABELS } from '@plat/core';
import { statusOf } from '../docker-errors.js';
import { imageCommand, refuseReservedLabels } from '../docker/images.js';

/**
 * The Swarm services of a platd, by intent: make a service run this spec,
 * list its tasks as dynos, say how its rolling update went. The only module
 * of the swarm runtime that talks to Docker; what a service should be is
 * decided in service-spec.ts.
 */

export interface EnsureResult {
  id: string;
  /** `unchanged`: the service already runs this spec (its hash label), no update was sent. */
  action: 'created' | 'updated' | 'unchanged';
}

/** One task of a service: a dyno, on a node. */
export interface TaskRecord {
  id: string;
  service: string;
  app: string;
  process: string;
  slot: number;
  /** `web.2`: the process type and the task's slot. */
  dyno: string;
  nodeId: string;
  /** The node's hostname, when the node is still known. */
  hostname: string;
  /** The node's swarm address (where the router reaches a web task's published port), when known. */
  nodeAddr: string;
  releaseId: string;
  version: number;
  /** What Swarm wants of the task: `running`, `shutdown`, ... */
  desiredState: string;
  /** What it is: `new` ... `starting` (not healthy yet), `running`, `failed`, `shutdown`, `rejected`, ... */
  state: string;
  containerId: string;
  exitCode: number | null;
  error: string;
  message: string;
  /** Ports a `host`-mode web task publishes on its node. */
  ports: number[];
  /** When the task last changed state. */
  since: string;
}

/** A service's rolling update: `none` when it never had one. */
export interface UpdateStatus {
  state: 'none' | NonNullable<Docker.UpdateStatus['State']>;
  message: string;
  startedAt?: string;
  completedAt?: string;
}

export interface SwarmState {
  /** Docker's LocalNodeState: `inactive`, `pending`, `active`, `error`, `locked`. */
  state: string;
  manager: boolean;
  nodeId: string;
  nodeAddr: string;
}

export interface InitOptions {
  /** The address other nodes reach this manager on; `127.0.0.1` on one node. */
  advertiseAddr: string;
  /** Defaults to `<advertiseAddr>:2377`: a loopback manager listens on loopback only. */
  listenAddr?: string;
  /** Where Swarm draws overlay subnets it chooses itself (ingress): away from PLAT_NETWORK_POOL. */
  defaultAddrPool?: string[];
  subnetSize?: number;
}

export class SwarmServices {
  readonly #docker: Docker;
  readonly #instance: string;

  constructor(options: { docker: Docker; instance: string }) {
    this.#docker = options.docker;
    this.#instance = options.instance;
  }

  /**
   * Makes the service run `spec`: creates it, or updates it when its spec
   * hash differs (sending the version read, so a concurrent change fails
   * instead of being overwritten). A service of that name of another app
   * or process type is refused, not taken over.
   */
  async ensureService(spec: Docker.ServiceSpec): Promise<EnsureResult> {
    const name = spec.Name;
    if (!name) throw new Error('a service spec needs a name');
    const current = await this.#inspect(name);
    if (!current) {
      const created = await this.#docker.createService(spec);
      return { id: created.id, action: 'created' };
    }
    const labels = current.Spec?.Labels ?? {};
    const want = spec.Labels ?? {};
    for (const key of [LABELS.instance, LABELS.appId, LABELS.process])
      if (labels[key] !== want[key])
        throw new Error(`service ${name} belongs to another app or process (${key}=${labels[key] ?? 'none'})`);
    if (labels[SWARM_LABELS.spec] && labels[SWARM_LABELS.spec] === want[SWARM_LABELS.spec])
      return { id: current.ID, action: 'unchanged' };
    // _query/_body: dockerode would otherwise send the whole spec in the query string too.
    await this.#docker
      .getService(current.ID)
      .update({ _query: { version: current.Version?.Index ?? 0 }, _body: spec } as unknown as Docker.ServiceSpec);
    return { id: current.ID, action: 'updated' };
  }

  /**
   * What a service runs for a local image tag: its id (`sha256:…`), so Swarm
   * neither resolves a digest nor pulls: the image is on this node. A swarm
   * of several nodes pulls the registry's ref instead (PlatRegistry).
   */
  async imageRef(tag: string): Promise<string> {
    await refuseReservedLabels(this.#docker, tag);
    const info = await this.#docker.getImage(tag).inspect();
    return info.Id;
  }

  /** The image's ENTRYPOINT and CMD: what a web task with no Procfile command runs inside its drain shim. */
  imageCommand(tag: string): Promise<string[]> {
    return imageCommand(this.#docker, tag);
  }

  /** How many task containers of an app's services are still on this node, stopped or not. */
  async taskContainers(appId: string): Promise<number> {
    const label = [instanceFilter(this.#instance), labelFilter(LABELS.appId, appId), 'com.docker.swarm.task.id'];
    return (await this.#docker.listContainers({ all: true, filters: { label } })).length;
  }

  /** Removes a service of this instance; false when there was none. Swarm stops its tasks with their grace period. */
  async removeService(name: string): Promise<boolean> {
    const current = await this.#inspect(name);
    if (!current) return false;
    try {
      await this.#docker.getService(current.ID).remove();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  /** This instance's services (of one app, by its id, when given). */
  async listServices(appId?: string): Promise<Docker.Service[]> {
    const label = [instanceFilter(this.#instance), ...(appId ? [labelFilter(LABELS.appId, appId)] : [])];
    return this.#docker.listServices({ filters: { label } });
  }

  /**
   * Tasks of this instance's services (of one app, by its id, when given),
   * newest first per slot, as Swarm keeps a few old ones per slot.
   */
  async listTasks(filter: { appId?: string; service?: string } = {}): Promise<TaskRecord[]> {
    let services = await this.listServices(filter.appId);
    if (filter.service) services = services.filter((s) => s.Spec?.Name === filter.service || s.ID === filter.service);
    if (services.length === 0) return [];
    const [tasks, hostnames] = await Promise.all([
      this.#docker.listTasks({ filters: { service: services.map((s) => s.ID) } }) as Promise<SwarmTask[]>,
      this.#hostnames(),
    ]);
    const byId = new Map(services.map((s) => [s.ID, s]));
    return tasks
      .filter((task) => byId.has(task.ServiceID))
      .map((task) => taskRecord(task, byId.get(task.ServiceID)!, hostnames))
      .sort((a, b) => a.service.localeCompare(b.service) || a.slot - b.slot || b.since.localeCompare(a.since));
  }

  /** How the service's last rolling update went: wait for `completed`, or see it `rollback_completed`. */
  async updateState(name: string): Promise<UpdateStatus> {
    const current = await this.#inspect(name);
    if (!current) throw new Error(`no service ${name}`);
    const status = current.UpdateStatus;
    return {
      state: status?.State ?? 'none',
      message: status?.Message ?? '',
      ...(status?.StartedAt ? { startedAt: status.StartedAt } : {}),
      ...(status?.CompletedAt ? { completedAt: status.CompletedAt } : {}),
    };
  }

  /** The spec hash label a service runs now (after a rollback: the previous spec's). */
  async runningSpecHash(name: string): Promise<string | undefined> {
    return (await this.#inspect(name))?.Spec?.Labels?.[SWARM_LABELS.spec];
  }

  /**
   * An attachable overlay network (tasks and plain containers, such as
   * add-ons, can join it), created when missing; resolves with its id. A
   * given `subnet` keeps it inside the app's block of PLAT_NETWORK_POOL.
   */
  async ensureOverlayNetwork(name: string, labels: Record<string, string>, subnet?: string): Promise<string> {
    const found = await this.#findNetwork(name);
    if (found) return found;
    try {
      const created = await this.#docker.createNetwork({
        Name: name,
        Driver: 'overlay',
        Attachable: true,
        CheckDuplicate: true,
        Labels: { ...labels, [LABELS.instance]: this.#instance },
        ...(subnet ? { IPAM: { Driver: 'default', Config: [{ Subnet: subnet }] } } : {}),
      });
      return created.id;
    } catch (error) {
      // Made meanwhile by another caller: that one is the app's.
      const made = await this.#findNetwork(name);
      if (made) return made;
      throw error;
    }
  }

  /** Removes a network; false when it was gone. It fails while a task or container is still on it. */
  async removeNetwork(name: string): Promise<boolean> {
    const id = await this.#findNetwork(name);
    if (!id) return false;
    try {
      await this.#docker.getNetwork(id).remove();
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  async swarmState(): Promise<SwarmState> {
    const info = (await this.#docker.info()) as { Swarm?: Record<string, unknown> };
    const swarm = info.Swarm ?? {};
    return {
      state: String(swarm.LocalNodeState ?? 'inactive'),
      manager: swarm.ControlAvailable === true,
      nodeId: String(swarm.NodeID ?? ''),
      nodeAddr: String(swarm.NodeAddr ?? ''),
    };
  }

  /** Makes this Engine the manager of a new swarm; resolves with its node id. */
  async initSwarm(options: InitOptions): Promise<string> {
    const nodeId: unknown = await this.#docker.swarmInit({
      ListenAddr: options.listenAddr ?? `${options.advertiseAddr}:2377`,
      AdvertiseAddr: options.advertiseAddr,
      ...(options.defaultAddrPool ? { DefaultAddrPool: options.defaultAddrPool } : {}),
      ...(options.subnetSize ? { SubnetSize: options.subnetSize } : {}),
    });
    return String(nodeId).replace(/"/g, '').trim();
  }

  /** Leaves the swarm; a last manager has to force, which ends the swarm and all its services. */
  async leaveSwarm(options: { force?: boolean } = {}): Promise<void> {
    await this.#docker.swarmLeave({ force: options.force ?? false });
  }

  async #inspect(name: string): Promise<Docker.Service | undefined> {
    const listed = await this.#docker.listServices({ filters: { name: [name] } });
    // The name filter matches prefixes; the instance label keeps other platds' services out.
    const service = listed.find((s) => s.Spec?.Name === name);
    if (!service) return undefined;
    if (service.Spec?.Labels?.[LABELS.instance] !== this.#instance)
      throw new Error(`service ${name} is not this platd's (instance ${this.#instance})`);
    return service;
  }

  async #findNetwork(name: string): Promise<string | undefined> {
    const listed = await this.#docker.listNetworks({ filters: { name: [name] } });
    return listed.find((n) => n.Name === name)?.Id;
  }

  /** Node id → hostname, from the manager's node list. */
  async #hostnames(): Promise<Map<string, NodeFacts>> {
    const nodes = (await this.#docker.listNodes()) as {
      ID: string;
      Description?: { Hostname?: string };
      Status?: { Addr?: string };
    }[];
    return new Map(
      nodes.map((node) => [node.ID, { hostname: node.Description?.Hostname ?? '', addr: node.Status?.Addr ?? '' }]),
    );
  }
}

/** What listTasks reads of a task (dockerode types tasks as any). */
interface SwarmTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  UpdatedAt?: string;
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
  Status?: {
    State?: string;
    Message?: string;
    Err?: string;
    Timestamp?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: { PublishedPort?: number }[] };
  };
}

/** What a task record says of its node. */
interface NodeFacts {
  hostname: string;
  /** Where other nodes reach it (a published task port too): the node's swarm address. */
  addr: string;
}

function taskRecord(task: SwarmTask, service: Docker.Service, nodes: Map<string, NodeFacts>): TaskRecord {
  const labels = task.Spec?.ContainerSpec?.Labels ?? {};
  const serviceLabels = service.Spec?.Labels ?? {};
  const process = labels[LABELS.process] ?? serviceLabels[LABELS.process] ?? '';
  const slot = task.Slot ?? 0;
  const status = task.Status ?? {};
  const container = status.ContainerStatus;
  return {
    id: task.ID,
    service: service.Spec?.Name ?? service.ID,
    app: labels[LABELS.app] ?? serviceLabels[LABELS.app] ?? '',
    process,
    slot,
    dyno: `${process}.${slot}`,
    nodeId: task.NodeID ?? '',
    hostname: nodes.get(task.NodeID ?? '')?.hostname ?? '',
    nodeAddr: nodes.get(task.NodeID ?? '')?.addr ?? '',
    releaseId: labels[LABELS.release] ?? '',
    version: Number(labels[LABELS.version] ?? 0),
    desiredState: task.DesiredState ?? '',
    state: status.State ?? '',
    containerId: container?.ContainerID ?? '',
    exitCode: container?.ExitCode ?? null,
    error: status.Err ?? '',
    message: status.Message ?? '',
    ports: [...new Set((status.PortStatus?.Ports ?? []).map((p) => p.PublishedPort ?? 0).filter((p) => p > 0))],
    since: status.Timestamp ?? task.UpdatedAt ?? '',
  };
}
