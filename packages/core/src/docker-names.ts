/**
 * Every name and label Plat gives a Docker object: containers, networks,
 * volumes, images and the labels platd finds them by again. One place, so
 * the builder, the runtime and the add-ons never spell one differently.
 * Everything a platd makes starts with `plat-<instance>-` or carries its
 * instance label, so two platds on one Engine never meet.
 */

/** Labels on dynos, one-offs, add-on objects, networks and app images. */
export const LABELS = {
  instance: 'plat.instance',
  app: 'plat.app',
  appId: 'plat.app-id',
  release: 'plat.release',
  version: 'plat.version',
  process: 'plat.process',
  dyno: 'plat.dyno',
  /** One-off dynos (release phase, plat run) are not part of the formation. */
  oneOff: 'plat.one-off',
  /** Which desired dyno a container serves: release, dyno name and restart generation. */
  key: 'plat.key',
  /**
   * On a network sandbox, a container that only holds a network namespace on
   * the app's network, started while a push builds: that network's name.
   */
  sandbox: 'plat.sandbox',
  /** On a dyno that joined a network sandbox: the sandbox's container id. */
  inSandbox: 'plat.in-sandbox',
  /** On an app's build sandbox, one its build steps join on the build network: that network's name. */
  buildSandbox: 'plat.build-sandbox',
} as const;

export const ADDON_LABELS = {
  /** The add-on's name: also its hostname on the app's network. */
  name: 'plat.addon',
  /** The add-on row's id: unique forever, unlike a name. */
  id: 'plat.addon-id',
} as const;

export const IMAGE_LABELS = {
  /** The hash of the stack's recipe (stack-image.ts): a changed recipe rebuilds. */
  stackRecipe: 'plat.stack.recipe',
  /** The add-on image a service recipe built. */
  serviceImage: 'plat.service-image',
} as const;

/**
 * Labels an app image may carry under Plat's `plat.` prefix: the two every
 * build sets on it, and the stack recipe its base passes down. Docker copies
 * an image's labels onto every container made from it, so a Dockerfile's
 * `LABEL plat.one-off=true` or `plat.addon=db` would make a dyno read as
 * something else to the controller; such images are refused.
 */
const APP_IMAGE_LABELS: ReadonlySet<string> = new Set([LABELS.instance, LABELS.appId, IMAGE_LABELS.stackRecipe]);

/** The `plat.` labels of an app image that Plat did not set: none, or the image is refused. */
export function reservedImageLabels(labels: Record<string, string> | null | undefined): string[] {
  return Object.keys(labels ?? {})
    .filter((key) => key.toLowerCase().startsWith('plat.') && !APP_IMAGE_LABELS.has(key))
    .sort();
}

/** The message for an image with reserved labels, the same from the builder and the runtime. */
export function reservedImageLabelsMessage(keys: string[]): string {
  return `The image sets labels that Plat reserves (${keys.join(', ')}); remove them from the Dockerfile`;
}

/** A Docker label filter: `key=value`, or only `key` for "has this label". */
export function labelFilter(key: string, value?: string): string {
  return value === undefined ? key : `${key}=${value}`;
}

/** The filter every listing of a platd starts with: its own objects only. */
export function instanceFilter(instance: string): string {
  return labelFilter(LABELS.instance, instance);
}

/** The image every dyno, build and add-on image starts from. */
export const STACK_IMAGE = 'plat/stack:latest';

/** The repository of the debootstrapped root filesystem under the stack. */
export const STACK_BASE_REPO = 'plat/stack-base';

/** The stack's base image, tagged by the hash of its suite and mirror. */
export function stackBaseImage(tag: string): string {
  return `${STACK_BASE_REPO}:${tag}`;
}

/** An app's build image: by instance and app name, tagged by the build. */
export function appImageTag(instance: string, app: string, buildId: string): string {
  return `plat/${instance}-${app}:${buildId.slice(0, 12)}`;
}

/** An add-on provider's image repository, e.g. `plat/addon-postgres`. */
export function addonImageRepo(provider: string): string {
  return `plat/addon-${provider}`;
}

/** A service image tagged by the hash of its recipe, so a changed recipe is a new image. */
export function serviceImageTag(repo: string, recipeHash: string): string {
  return `${repo}:${recipeHash}`;
}

/**
 * The app's own network, named by its id: a rename keeps it, so dynos of
 * the new name reach the add-ons on it. (An app id is longer than any app
 * name, so the two kinds of names never meet.)
 */
export function networkName(instance: string, appId: string): string {
  return `plat-${instance}-${appId}`;
}

/** Where platds before networks were named by id put an app's dynos and add-ons. */
export function legacyNetworkName(instance: string, app: string): string {
  return `plat-${instance}-${app}`;
}

/** The network image builds of pushed code run on. No app name can start with a dash, so it never meets an app's. */
export function buildNetworkName(instance: string): string {
  return `plat-${instance}--builds`;
}

/**
 * Start of a formation dyno's container name. The release version and
 * restart generation are in it: a new one of either is a new container,
 * started before the old one goes.
 */
export function dynoContainerName(dyno: {
  instance: string;
  app: string;
  process: string;
  index: number;
  version: number;
  generation: number;
}): string {
  const generation = dyno.generation ? `-g${dyno.generation}` : '';
  return `plat-${dyno.instance}-${dyno.app}-${dyno.process}-${dyno.index}-v${dyno.version}${generation}`;
}

/** Start of a one-off dyno's container name: `release`, `run` or `scheduler`, and its number. */
export function oneOffContainerName(oneOff: { instance: string; app: string; kind: string; number: number }): string {
  return `plat-${oneOff.instance}-${oneOff.app}-${oneOff.kind}-${oneOff.number}`;
}

/** A network sandbox's container name: of the instance, by the app network it stands on. */
export function sandboxContainerName(network: string, suffix: string): string {
  return `${network}-sandbox-${suffix}`;
}

/**
 * A started container's name: the dyno's name and a suffix unique per start,
 * as a replacement may start while the container it replaces still drains.
 */
export function startedContainerName(base: string, suffix: string): string {
  return `${base}-${suffix}`;
}

/**
 * Whether a container is one this platd made, by its name (`plat-<instance>-`,
 * Swarm tasks' `<service>.<slot>.<id>` included). Labels alone do not say:
 * an image's labels reach every container made from it, build steps'
 * included, and a pushed Dockerfile chooses them. A name it cannot choose.
 */
export function isInstanceContainer(instance: string, names: string | string[] | undefined): boolean {
  const list = typeof names === 'string' ? [names] : (names ?? []);
  return list.some((name) => name.replace(/^\//, '').startsWith(`plat-${instance}-`));
}

/** Whether a container's name (as Docker lists it, with or without its slash) is a start of that base name. */
export function isStartOf(containerName: string, base: string): boolean {
  return containerName.replace(/^\//, '').startsWith(`${base}-`);
}

/**
 * Name of an add-on's container and of its volume: by the add-on row's id;
 * add-ons made before ids keep the name they were made with.
 */
export function addonObjectName(instance: string, addon: { id: string; name: string; legacy_names: boolean }): string {
  return `plat-${instance}-addon-${addon.legacy_names ? addon.name : addon.id}`;
}

/** Labels only Swarm services carry. */
export const SWARM_LABELS = {
  /** Hash of the spec Plat gave the service: an equal one means nothing to update. */
  spec: 'plat.service-spec',
} as const;

/** Swarm refuses a service name longer than a DNS label. */
const SERVICE_NAME_MAX = 63;

/**
 * The Swarm service of an app's process type: `plat-<instance>-<app>-<type>`.
 * A name past Swarm's 63 characters (a 16-character instance, a 30-character
 * app and a long type) keeps its start and ends in a hash of the whole, so it
 * stays unique. A type with a dash would spell another app's service (`a` +
 * `b-c`, `a-b` + `c`), so it follows an underscore, which no app name holds:
 * `plat-<instance>-a_b-c`. The service's app-id and process labels stay the truth.
 */
export function serviceName(instance: string, app: string, type: string): string {
  const name = `plat-${instance}-${app}${type.includes('-') ? '_' : '-'}${type}`;
  if (name.length <= SERVICE_NAME_MAX) return name;
  const suffix = `-${fnv1a(name)}`;
  return `${name.slice(0, SERVICE_NAME_MAX - suffix.length).replace(/[-_]+$/, '')}${suffix}`;
}

/** 32-bit FNV-1a as 8 hex digits: short, stable, and needs no crypto in the shared package. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
