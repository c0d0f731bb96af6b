import type Docker from 'dockerode';
import { addonObjectName, LABELS, sandboxContainerName, STACK_IMAGE, startedContainerName } from '@plat/core';
import { addonLabels, type AddonHandle } from './addon-objects.js';
import { DYNO_USER, type DynoSpec } from './dyno-spec.js';

/**
 * The step from what Plat wants run (a dyno, a one-off, an add-on) to the
 * options Docker creates its container with. Pure: every security option
 * (no capabilities, no privilege gain, a non-root user, pid and memory
 * limits, no port published on the host) is here and unit tested; the runtime
 * only passes these to Docker.
 */

/** Bounds every container's process count: a fork bomb stops here, not at the host. */
export const PIDS_LIMIT = 512;

/** Docker's json-file driver, bounded per container: dynos keep 20 MB of logs, add-ons 30 MB. */
export const DYNO_LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '2' } };
export const ADDON_LOG_CONFIG = { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } };

/** What every container Plat starts gets, whoever's code it runs. */
function confined(memoryBytes: number): Docker.HostConfig {
  return {
    Memory: memoryBytes,
    // Equal to Memory: no swap on top of the limit.
    MemorySwap: memoryBytes,
    PidsLimit: PIDS_LIMIT,
    SecurityOpt: ['no-new-privileges'],
    CapDrop: ['ALL'],
  };
}

function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}

/**
 * A dyno's container. `suffix` makes the name unique per start (the runtime
 * draws it), as a dyno's replacement may start while the container it
 * replaces still drains.
 */
export function dynoContainerOptions(spec: DynoSpec, suffix: string, sandbox?: string): Docker.ContainerCreateOptions {
  return {
    name: startedContainerName(spec.containerName, suffix),
    Image: spec.image,
    // Procfile commands are shell command lines, as on Heroku; they run
    // inside the app's own container, never on the host.
    ...(spec.command ? { Cmd: ['/bin/sh', '-c', spec.command] } : {}),
    Env: envList(spec.env),
    Labels: sandbox ? { ...spec.labels, [LABELS.inSandbox]: sandbox } : spec.labels,
    User: DYNO_USER,
    HostConfig: {
      ...confined(spec.size.memoryBytes),
      Init: true,
      // Nothing published on the host: the router reaches a web dyno at its address on this network,
      // or on its sandbox's there (the sandbox's own network namespace, joined: no other dyno shares it).
      NetworkMode: sandbox ? `container:${sandbox}` : spec.network,
      CpuShares: spec.size.cpuShares,
      LogConfig: DYNO_LOG_CONFIG,
    },
  };
}

/** A sandbox holds a namespace and nothing else: `sleep` under Docker's init, in a few MB. */
export const SANDBOX_MEMORY_BYTES = 16 * 1024 ** 2;

/**
 * A network sandbox: a container on the app's network that runs nothing but
 * holds its network namespace, so that a dyno joining it starts without
 * Docker's network setup (a new namespace, its interface, the embedded DNS's
 * rules: ~0.2 s of each start here). Started while a push builds, or kept
 * from a removed dyno as its app's spare; one dyno joins each at a time. An
 * app's build steps join one of their own on the build network. As
 * confined as a dyno.
 */
export function sandboxContainerOptions(input: {
  network: string;
  suffix: string;
  labels: Record<string, string>;
  /** One for an app's builds, on the build network (build-sandboxes.ts), labelled as such. */
  forBuilds?: boolean;
}): Docker.ContainerCreateOptions {
  return {
    name: sandboxContainerName(input.network, input.suffix),
    Image: STACK_IMAGE,
    Cmd: ['sleep', 'infinity'],
    Labels: { ...input.labels, [input.forBuilds ? LABELS.buildSandbox : LABELS.sandbox]: input.network },
    User: DYNO_USER,
    HostConfig: {
      ...confined(SANDBOX_MEMORY_BYTES),
      PidsLimit: 8,
      Init: true,
      ReadonlyRootfs: true,
      NetworkMode: input.network,
      LogConfig: DYNO_LOG_CONFIG,
    },
  };
}

/** A one-off attached to a session (plat run): the dyno's container, with stdin open and a TTY when asked. */
export function attachedOneOffOptions(
  spec: DynoSpec,
  suffix: string,
  session: { tty: boolean },
): Docker.ContainerCreateOptions {
  const options = dynoContainerOptions(spec, suffix);
  return {
    ...options,
    Tty: session.tty,
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    ...(session.tty ? { Env: [...(options.Env ?? []), 'TERM=xterm-256color'] } : {}),
  };
}

export interface AddonContainerSpec {
  addon: AddonHandle;
  app: string;
  network: string;
  image: string;
  env: Record<string, string>;
  /** Where its volume mounts, when it keeps data. */
  dataPath?: string;
  healthcheck: string[];
  memoryBytes: number;
}

/** The add-on's data volume: named and labelled as its container is. */
export function addonVolumeOptions(instance: string, spec: AddonContainerSpec): Docker.VolumeCreateOptions {
  return { Name: addonObjectName(instance, spec.addon), Labels: addonLabels(instance, spec.addon, spec.app) };
}

/** Docker counts health check times in nanoseconds. */
const SECOND_NS = 1_000_000_000;

/**
 * An add-on's container: on the app's network only, under the add-on's name
 * as its hostname, nothing published on the host; it runs as its image's
 * own service user (stackServiceImage), restarts with Docker, and is healthy
 * once its check passes. Its own hostname is that name too: the name its
 * TLS certificate is made for.
 */
export function addonContainerOptions(instance: string, spec: AddonContainerSpec): Docker.ContainerCreateOptions {
  const name = addonObjectName(instance, spec.addon);
  return {
    name,
    Hostname: spec.addon.name,
    Image: spec.image,
    Env: envList(spec.env),
    Labels: addonLabels(instance, spec.addon, spec.app),
    Healthcheck: {
      Test: ['CMD', ...spec.healthcheck],
      Interval: SECOND_NS / 2,
      Timeout: 5 * SECOND_NS,
      Retries: 120,
      StartPeriod: 0,
    },
    HostConfig: {
      ...confined(spec.memoryBytes),
      NetworkMode: spec.network,
      RestartPolicy: { Name: 'unless-stopped' },
      LogConfig: ADDON_LOG_CONFIG,
      ...(spec.dataPath ? { Mounts: [{ Type: 'volume', Source: name, Target: spec.dataPath }] } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [spec.network]: { Aliases: [spec.addon.name] } } },
  };
}
