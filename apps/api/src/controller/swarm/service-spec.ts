/**
 * Pure: the Docker Swarm service that runs one process type of an app's
 * release. It is derived from the very DynoSpec and container options the
 * docker runtime starts a dyno with (dyno-spec.ts, container-options.ts), so
 * both runtimes run a dyno the same way: same image, command, config,
 * metadata, user, dropped capabilities, limits and logs. Only what Swarm
 * adds is decided here: replicas, the per-task DYNO, the health check,
 * restart, rolling update and rollback, placement and publishing.
 */

import { createHash } from 'node:crypto';
import type Docker from 'dockerode';
import { LABELS, SWARM_LABELS, serviceName } from '@plat/core';
import { dynoContainerOptions } from '../container-options.js';
import { DYNO_PORT, type DesiredInput, type DynoSpec, desiredDynos } from '../dyno-spec.js';

const SECOND_NS = 1_000_000_000;

/** dockerode's types predate ContainerSpec.Privileges.NoNewPrivileges. */
type Privileges = Docker.Privileges & { NoNewPrivileges?: boolean };

/** R10: a new dyno must accept connections within this long of its start. */
export const BOOT_TIMEOUT_S = 60;

/** How long Swarm watches an updated task before it counts the update of it good. */
export const UPDATE_MONITOR_S = 5;

/** Between restarts of a crashed task: Swarm's restart delay is fixed, not exponential. */
export const RESTART_DELAY_S = 5;

/**
 * Memory a task reserves on its node, as a share of its limit: enough for the
 * scheduler to spread dynos by free memory, while a node still overcommits
 * like the docker runtime does (reserving the whole limit would fit two
 * standard dynos per 2 GB node). No CPU is reserved: a 2-core node would
 * hold only two standard dynos.
 */
export const MEMORY_RESERVATION_SHARE = 0.25;

/**
 * How the router reaches a web service's tasks:
 * - `ingress`: the routing mesh publishes `port` on every node, nginx proxies
 *   to 127.0.0.1:port. Needs IPVS in the kernel (not on every host).
 * - `host`: every task publishes the dyno port on a port Docker draws on its
 *   own node (TaskRecord.ports), nginx lists the tasks as it lists dynos.
 */
export type WebPublish = { mode: 'ingress'; port: number } | { mode: 'host' };

export interface ServiceInput extends Omit<DesiredInput, 'formation'> {
  type: string;
  quantity: number;
  size: string;
  /** Bumped by a restart (ps:restart): Swarm replaces every task when it changes. */
  generation?: number;
  /** SIGTERM, then SIGKILL after this long. */
  graceSeconds: number;
  /** Required for the web type; other types publish nothing. */
  publish?: WebPublish;
  /** Swarm placement constraints, e.g. pinnedTo(hostname). */
  constraints?: string[];
  /**
   * The image's ENTRYPOINT and CMD (images.ts imageCommand), for a process
   * with no Procfile command: a web task runs them inside the drain shim.
   */
  imageCommand?: string[];
}

/** A placement constraint that keeps a service's tasks on one node: add-ons with volumes. */
export function pinnedTo(hostname: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(hostname)) throw new Error(`not a node hostname: ${hostname}`);
  return `node.hostname==${hostname}`;
}

/** The per-task values Swarm fills in when it starts a task (Go templates in Env). */
const TASK_SLOT = '{{.Task.Slot}}';
const TASK_ID = '{{.Task.ID}}';

/**
 * The dyno this service's tasks are, as the docker runtime would run one of
 * them. Per-dyno values become per-task templates: DYNO is `web.<slot>`;
 * the dyno id is Swarm's task id (a restart is a new task, so a new id).
 * `plat.dyno` and `plat.key` are left off the labels: Swarm does not expand
 * templates in labels, so a task's dyno is read from its slot instead.
 */
export function templateDyno(input: ServiceInput): DynoSpec {
  const { type, quantity: _q, size, generation, graceSeconds: _g, publish: _p, constraints: _c, ...rest } = input;
  const { imageCommand: _i, ...desired } = rest;
  const spec = desiredDynos({ ...desired, formation: [{ type, quantity: 1, size, generation: generation ?? 0 }] }).find(
    (dyno) => dyno.process === type,
  );
  if (!spec) throw new Error(`release ${input.release.id} has no process type ${type}`);
  const env: Record<string, string> = { ...spec.env, DYNO: `${type}.${TASK_SLOT}` };
  for (const name of ['PLAT_DYNO_ID', 'HEROKU_DYNO_ID']) if (name in env) env[name] = TASK_ID;
  const { [LABELS.dyno]: _d, [LABELS.key]: _k, ...labels } = spec.labels;
  return { ...spec, dyno: `${type}.${TASK_SLOT}`, env, labels };
}

/**
 * Succeeds once something accepts TCP connections on $PORT inside the task.
 * A connect, not an HTTP request as readiness.ts sends: Swarm keeps checking
 * for the task's whole life, and an HTTP check would log a request a second
 * and kill a dyno whose workers are all busy. Inside the task no port proxy
 * answers for the app, so a connect proves the app listens.
 *
 * bash's /dev/tcp does it when the image has bash (the stack has): a node
 * process a second cost 8 idle tasks 89% of a CPU on the 2-core test host.
 * Else the stack's node does it (HEALTH_SCRIPT, passed as $1 so no quoting
 * meets it, and the port as its argument); an image with neither never turns
 * healthy, found at deploy.
 */
export const HEALTH_SCRIPT =
  "const s=require('net').connect(+process.argv[1],'127.0.0.1');" +
  's.on("connect",()=>process.exit(0));s.on("error",()=>process.exit(1));setTimeout(()=>process.exit(1),2000)';

export const HEALTH_SHELL =
  'if command -v bash >/dev/null 2>&1; then exec bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT"; fi; ' +
  'exec node -e "$1" "$PORT"';

/**
 * How long a web task keeps serving after Swarm stops it. Swarm stops an
 * old task the moment its replacement passes the health check; platd sees
 * that on its next look at the tasks (250 ms) and takes the old one out of
 * nginx's upstreams (a reload, tens of ms). Until then requests, POSTs
 * included, still reach the old task: it must still answer them.
 */
export const DRAIN_S = 3;

/**
 * Runs a web dyno's command with SIGTERM held back DRAIN_S seconds (the
 * dyno still gets it, then SIGKILL after the grace period, as before). The
 * command is the script's argument, never part of its text.
 */
export const DRAIN_SHIM = drainShim('/bin/sh -c "$1" &');

/**
 * The same hold around an argument vector (`"$@"`): the image's own
 * ENTRYPOINT and CMD when the process has no Procfile command. The shim
 * becomes the task's command (Swarm's Command replaces the ENTRYPOINT), the
 * image's vector its arguments; the image's WORKDIR and environment stay.
 */
export const DRAIN_EXEC_SHIM = drainShim('"$@" &');

function drainShim(start: string): string {
  return [
    start,
    'child=$!',
    `trap 'sleep ${DRAIN_S}; kill -TERM "$child" 2>/dev/null' TERM`,
    'while :; do wait "$child"; status=$?; kill -0 "$child" 2>/dev/null || exit "$status"; done',
  ].join('\n');
}

/** A dyno's `/bin/sh -c COMMAND` with the drain shim around it. */
export function drained(cmd: string[]): string[] {
  const [shell, flag, command] = cmd;
  if (cmd.length !== 3 || shell !== '/bin/sh' || flag !== '-c' || command === undefined) return cmd;
  return ['/bin/sh', '-c', DRAIN_SHIM, 'plat-dyno', command];
}

/**
 * What a task's container runs, as Swarm's Command (the ENTRYPOINT) and Args
 * (the CMD). A Procfile command goes in Args, so the image's ENTRYPOINT
 * stays, as with a dyno container; a web task holds SIGTERM back around it,
 * or around the image's own ENTRYPOINT and CMD when it has none. A worker
 * with no command runs the image as it is.
 */
export function taskCommand(
  cmd: string[] | undefined,
  options: { web: boolean; imageCommand?: string[] | undefined },
): { Command?: string[]; Args?: string[] } {
  if (cmd) return { Args: options.web ? drained(cmd) : cmd };
  if (options.web && options.imageCommand?.length)
    return { Command: ['/bin/sh', '-c', DRAIN_EXEC_SHIM, 'plat-dyno'], Args: [...options.imageCommand] };
  return {};
}

export function healthCheck(): Docker.HealthConfig {
  return {
    Test: ['CMD', '/bin/sh', '-c', HEALTH_SHELL, 'health', HEALTH_SCRIPT],
    Interval: SECOND_NS,
    Timeout: 3 * SECOND_NS,
    // Three failed checks in a row after the boot window: the task is replaced.
    Retries: 3,
    StartPeriod: BOOT_TIMEOUT_S * SECOND_NS,
  };
}

/** A dyno size's CPU share as a hard limit: 1024 shares, one CPU. */
export function nanoCpus(cpuShares: number): number {
  return Math.round((cpuShares / 1024) * SECOND_NS);
}

/**
 * The service spec for one process type. The container options of its
 * template dyno are mapped field by field (mappedHostConfig); a HostConfig
 * field this mapping does not know fails here, so hardening added to dynos
 * later cannot be dropped for services without notice.
 */
export function serviceSpec(input: ServiceInput): Docker.ServiceSpec {
  const dyno = templateDyno(input);
  const options = dynoContainerOptions(dyno, 'swarm');
  const host = mappedHostConfig(options.HostConfig ?? {});
  const web = input.type === 'web';
  if (web && !input.publish) throw new Error('a web service needs a publish mode');
  const spec: Docker.ServiceSpec = {
    Name: serviceName(input.instance, input.app, input.type),
    Labels: { ...dyno.labels },
    TaskTemplate: {
      ContainerSpec: {
        Image: options.Image,
        ...taskCommand(options.Cmd as string[] | undefined, { web, imageCommand: input.imageCommand }),
        Env: options.Env,
        Labels: { ...dyno.labels },
        User: options.User,
        Init: host.init,
        CapabilityDrop: host.capDrop,
        // Newer engines honour it; Engine 20.10 (API 1.41) ignores it and its tasks run without
        // no-new-privileges unless dockerd runs with --no-new-privileges (daemon.json).
        Privileges: { NoNewPrivileges: host.noNewPrivileges } as Privileges,
        StopGracePeriod: input.graceSeconds * SECOND_NS,
        ...(web ? { HealthCheck: healthCheck() } : {}),
      },
      Resources: {
        Limits: {
          MemoryBytes: host.memory,
          NanoCPUs: nanoCpus(dyno.size.cpuShares),
          Pids: host.pidsLimit,
        },
        Reservations: { MemoryBytes: Math.round(host.memory * MEMORY_RESERVATION_SHARE) },
      },
      // Any exit is a crash, as with the docker runtime: a web process that exits 0 must come back too.
      RestartPolicy: { Condition: 'any', Delay: RESTART_DELAY_S * SECOND_NS, MaxAttempts: 0 },
      Networks: [{ Target: host.network }],
      LogDriver: { Name: host.logConfig.Type, Options: host.logConfig.Config },
      ...(input.constraints?.length ? { Placement: { Constraints: [...input.constraints] } } : {}),
      ...(input.generation ? { ForceUpdate: input.generation } : {}),
    },
    Mode: { Replicated: { Replicas: input.quantity } },
    UpdateConfig: {
      Parallelism: 1,
      Delay: 0,
      Order: 'start-first',
      FailureAction: 'rollback',
      Monitor: UPDATE_MONITOR_S * SECOND_NS,
      MaxFailureRatio: 0,
    },
    RollbackConfig: {
      Parallelism: 1,
      Delay: 0,
      Order: 'start-first',
      FailureAction: 'pause',
      Monitor: UPDATE_MONITOR_S * SECOND_NS,
      MaxFailureRatio: 0,
    },
    EndpointSpec: endpointSpec(web ? input.publish : undefined),
  };
  return withSpecHash(spec);
}

/**
 * No virtual IP (it needs IPVS, and the router never uses one): add-ons and
 * other dynos find tasks by DNS on the app's overlay. A web service publishes
 * the dyno port, on the routing mesh or on each task's node.
 */
function endpointSpec(publish: WebPublish | undefined): Docker.EndpointSpec {
  if (!publish) return { Mode: 'dnsrr' };
  if (publish.mode === 'ingress')
    return {
      Mode: 'vip',
      Ports: [{ Protocol: 'tcp', TargetPort: DYNO_PORT, PublishedPort: publish.port, PublishMode: 'ingress' }],
    };
  return { Mode: 'dnsrr', Ports: [{ Protocol: 'tcp', TargetPort: DYNO_PORT, PublishMode: 'host' }] };
}

interface MappedHostConfig {
  init: boolean;
  capDrop: string[];
  noNewPrivileges: boolean;
  memory: number;
  pidsLimit: number;
  network: string;
  logConfig: { Type: string; Config: Record<string, string> };
}

/**
 * HostConfig fields a service does not take over, and why: Swarm's task
 * containers get a swap limit of twice their memory (API 1.41 has no field;
 * the hosts run without swap); the CPU share becomes a CPU limit; the port
 * is published by the EndpointSpec; the network is the service's.
 */
const NOT_MAPPED = new Set(['MemorySwap', 'CpuShares', 'PortBindings']);

export function mappedHostConfig(host: Docker.HostConfig): MappedHostConfig {
  const known = new Set([
    'Init',
    'CapDrop',
    'SecurityOpt',
    'Memory',
    'PidsLimit',
    'NetworkMode',
    'LogConfig',
    ...NOT_MAPPED,
  ]);
  const unknown = Object.keys(host).filter((key) => !known.has(key));
  if (unknown.length) throw new Error(`container options not mapped to a Swarm service: ${unknown.join(', ')}`);
  const securityOpt: string[] = host.SecurityOpt ?? [];
  const other = securityOpt.filter((option) => option !== 'no-new-privileges');
  if (other.length) throw new Error(`security options not mapped to a Swarm service: ${other.join(', ')}`);
  if (!host.Memory || !host.PidsLimit || !host.NetworkMode || !host.LogConfig?.Type)
    throw new Error('a dyno container without memory, pids, network or log limits');
  return {
    init: host.Init === true,
    capDrop: host.CapDrop ?? [],
    noNewPrivileges: securityOpt.includes('no-new-privileges'),
    memory: host.Memory,
    pidsLimit: host.PidsLimit,
    network: host.NetworkMode,
    logConfig: { Type: host.LogConfig.Type, Config: (host.LogConfig.Config ?? {}) as Record<string, string> },
  };
}

/** Keys sorted at every level: the same spec always hashes the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  return value;
}

/** A spec's hash, its own hash label left out. */
export function specHash(spec: Docker.ServiceSpec): string {
  const { [SWARM_LABELS.spec]: _own, ...labels } = spec.Labels ?? {};
  const json = JSON.stringify(canonical({ ...spec, Labels: labels }));
  return createHash('sha256').update(json).digest('hex').slice(0, 16);
}

/**
 * The spec with its hash as a service label. Swarm fills in defaults, so an
 * inspected spec never equals the one sent; the label says which spec a
 * service runs, and after an automatic rollback it is the old one's again.
 */
export function withSpecHash(spec: Docker.ServiceSpec): Docker.ServiceSpec {
  return { ...spec, Labels: { ...spec.Labels, [SWARM_LABELS.spec]: specHash(spec) } };
}
