/**
 * Pure description of the dynos an app should run: which containers, with
 * what image, command, environment, labels and limits. The Docker runtime
 * turns a DynoSpec into a container; nothing here touches Docker.
 */

import { createHash } from 'node:crypto';
import { dynoContainerName, LABELS, networkName, oneOffContainerName } from '@plat/core';

/** Port every dyno listens on inside its own network namespace. */
export const DYNO_PORT = 5000;

/**
 * The stack's non-root `dyno` user, by number: images built from a
 * Dockerfile may not have the name, and still must not run as root.
 */
export const DYNO_USER = '1000:1000';

export interface DynoSize {
  memoryBytes: number;
  cpuShares: number;
  /** gunicorn and friends read WEB_CONCURRENCY for their worker count. */
  concurrency: number;
}

export const SIZES: Record<string, DynoSize> = {
  // As small as basic; its web dynos sleep when idle (controller/eco-sleep.ts).
  eco: { memoryBytes: 512 * 1024 ** 2, cpuShares: 512, concurrency: 2 },
  basic: { memoryBytes: 512 * 1024 ** 2, cpuShares: 512, concurrency: 2 },
  standard: { memoryBytes: 1024 ** 3, cpuShares: 1024, concurrency: 2 },
  performance: { memoryBytes: 2 * 1024 ** 3, cpuShares: 2048, concurrency: 4 },
};

export interface DynoSpec {
  /** Stable identity of the desired dyno; the container carries it as a label. */
  key: string;
  /** Start of the Docker container name; the runtime makes each one unique. */
  containerName: string;
  app: string;
  /** `web.1`, `worker.2` */
  dyno: string;
  process: string;
  releaseId: string;
  version: number;
  image: string;
  /** A shell command line; empty runs the image's own CMD. */
  command: string;
  env: Record<string, string>;
  labels: Record<string, string>;
  size: DynoSize;
  network: string;
  /** Web dynos answer on $PORT, where the router reaches them at their address on the app's network. */
  web: boolean;
  /** app.json's readiness path: GET it must answer 2xx/3xx; else any answer on / will do. */
  readinessPath?: string;
}

export interface DesiredInput {
  instance: string;
  app: string;
  appId: string;
  release: {
    id: string;
    version: number;
    image: string;
    config: Record<string, string>;
    processTypes: Record<string, string>;
    /** The commit its image was built from, when it was built from one. */
    commit?: string | null;
  };
  /** Dyno metadata under Heroku's names as well (labs feature heroku-metadata). */
  herokuMetadata?: boolean;
  readinessPath?: string | null;
  formation: { type: string; quantity: number; size: string; generation?: number }[];
}

/** A stored release with an image, as the dyno specs take it. */
export function specRelease(release: {
  id: string;
  version: number;
  image: string;
  config: Record<string, string>;
  process_types: Record<string, string>;
  source_commit?: string | null;
}): DesiredInput['release'] {
  const { id, version, image, config, process_types: processTypes } = release;
  return { id, version, image, config, processTypes, commit: release.source_commit ?? null };
}

/** The labs feature that adds Heroku's names for the dyno metadata (plat labs:enable heroku-metadata). */
export const HEROKU_METADATA = 'heroku-metadata';

/**
 * Dyno metadata (Heroku's runtime-dyno-metadata, on for every app here):
 * which release, commit, app and dyno this is. The dyno id is a UUID drawn
 * from the dyno's identity, so it stays while that dyno lives (a crash
 * restart keeps it) and differs for its replacement.
 */
export function dynoMetadata(
  input: Pick<DesiredInput, 'instance' | 'app' | 'appId' | 'release' | 'herokuMetadata'>,
  key: string,
): Record<string, string> {
  const hex = createHash('sha256').update(`${input.instance}/${input.appId}/${key}`).digest('hex');
  const values: Record<string, string> = {
    RELEASE_VERSION: `v${input.release.version}`,
    ...(input.release.commit ? { SLUG_COMMIT: input.release.commit } : {}),
    APP_NAME: input.app,
    APP_ID: input.appId,
    DYNO_ID: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
  };
  const prefixes = input.herokuMetadata ? ['PLAT_', 'HEROKU_'] : ['PLAT_'];
  return Object.fromEntries(
    prefixes.flatMap((prefix) => Object.entries(values).map(([name, value]) => [`${prefix}${name}`, value])),
  );
}

/** What every dyno container says about itself, so the controller can find it again. */
function dynoLabels(
  input: Pick<DesiredInput, 'instance' | 'app' | 'appId' | 'release'>,
  process: string,
  dyno: string,
): Record<string, string> {
  return {
    [LABELS.instance]: input.instance,
    [LABELS.app]: input.app,
    [LABELS.appId]: input.appId,
    [LABELS.release]: input.release.id,
    [LABELS.version]: String(input.release.version),
    [LABELS.process]: process,
    [LABELS.dyno]: dyno,
  };
}

/** Heroku's defaults: one web dyno when the app has a web process, no others. */
function quantityOf(
  type: string,
  formation: DesiredInput['formation'],
): { quantity: number; size: string; generation: number } {
  const entry = formation.find((f) => f.type === type);
  if (entry) return { quantity: entry.quantity, size: entry.size, generation: entry.generation ?? 0 };
  return { quantity: type === 'web' ? 1 : 0, size: 'standard', generation: 0 };
}

export function desiredDynos(input: DesiredInput): DynoSpec[] {
  const specs: DynoSpec[] = [];
  const types = Object.keys(input.release.processTypes)
    .filter((type) => type !== 'release')
    .sort();
  for (const type of types) {
    const { quantity, size: sizeName, generation } = quantityOf(type, input.formation);
    const size = SIZES[sizeName] ?? SIZES.standard!;
    for (let index = 1; index <= quantity; index += 1) {
      const dyno = `${type}.${index}`;
      const key = `${input.release.id}/${dyno}/g${generation}`;
      specs.push({
        key,
        containerName: dynoContainerName({
          instance: input.instance,
          app: input.app,
          process: type,
          index,
          version: input.release.version,
          generation,
        }),
        app: input.app,
        dyno,
        process: type,
        releaseId: input.release.id,
        version: input.release.version,
        image: input.release.image,
        command: input.release.processTypes[type]!,
        env: {
          ...input.release.config,
          PORT: String(DYNO_PORT),
          DYNO: dyno,
          WEB_CONCURRENCY: input.release.config.WEB_CONCURRENCY ?? String(size.concurrency),
          ...dynoMetadata(input, key),
        },
        labels: { ...dynoLabels(input, type, dyno), [LABELS.key]: key },
        size,
        network: networkName(input.instance, input.appId),
        web: type === 'web',
        ...(type === 'web' && input.readinessPath ? { readinessPath: input.readinessPath } : {}),
      });
    }
  }
  return specs;
}

/** `release` for the release phase, `run` for plat run, `scheduler` for scheduler jobs, the rest app.json's scripts. */
export type OneOffKind = 'release' | 'run' | 'scheduler' | 'postdeploy' | 'predestroy';

export interface OneOffInput {
  instance: string;
  app: string;
  appId: string;
  release: DesiredInput['release'];
  herokuMetadata?: boolean;
  kind: OneOffKind;
  command: string;
  /** Distinguishes concurrent one-offs: `run.4711`. */
  number: number;
}

/** A one-off dyno: the release's image and config, one command, no port, no formation. */
export function oneOffDyno(input: OneOffInput): DynoSpec {
  const dyno = `${input.kind}.${input.number}`;
  const size = SIZES.standard!;
  const key = `${input.release.id}/${dyno}`;
  return {
    key,
    containerName: oneOffContainerName(input),
    app: input.app,
    dyno,
    process: input.kind,
    releaseId: input.release.id,
    version: input.release.version,
    image: input.release.image,
    command: input.command,
    env: { ...input.release.config, DYNO: dyno, PORT: String(DYNO_PORT), ...dynoMetadata(input, key) },
    labels: { ...dynoLabels(input, input.kind, dyno), [LABELS.oneOff]: 'true' },
    size,
    network: networkName(input.instance, input.appId),
    web: false,
  };
}
