import Docker from 'dockerode';
import { DockerRuntime } from '../docker-runtime.js';
import type { HostFirewall } from '../host-firewall.js';
import type { ObservedDyno } from '../reconcile.js';
import type { SubnetSource } from '../runtime.js';
import { PlatRegistry, type PlatRegistryOptions } from './registry.js';
import { registryRef } from './registry-config.js';
import { type SwarmState, SwarmServices } from './services.js';
import { SwarmFormation } from './swarm-formation.js';

/**
 * PLAT_RUNTIME=swarm: the Docker runtime on a swarm manager. App networks
 * are attachable overlays (add-on containers and one-off dynos join them
 * on this node, the services' tasks on any node); formation dynos are the
 * tasks of one Swarm service per process type (SwarmFormation), which the
 * controller converges instead of starting containers itself.
 */
export class SwarmRuntime extends DockerRuntime {
  readonly formation: SwarmFormation;
  readonly services: SwarmServices;
  readonly registry: PlatRegistry | undefined;

  constructor(options: {
    instance: string;
    docker?: Docker;
    firewall?: HostFirewall;
    subnets?: SubnetSource;
    bootTimeoutMs: number;
    /** SIGTERM, then SIGKILL after this long: as the docker runtime retires a dyno. */
    graceSeconds?: number;
    /** The registry every node pulls app images from; without it, services run this node's images by id. */
    registry?: Omit<PlatRegistryOptions, 'docker' | 'instance'>;
  }) {
    const docker = options.docker ?? new Docker();
    super({ ...options, docker, networkDriver: 'overlay' });
    this.services = new SwarmServices({ docker, instance: options.instance });
    this.registry = options.registry
      ? new PlatRegistry({ ...options.registry, docker, instance: options.instance })
      : undefined;
    const { registry, services } = this;
    this.formation = new SwarmFormation({
      services,
      // Pushing a build already there costs one manifest check: a release's image is pushed by its first converge.
      imageRef: async (tag) => {
        // Refuses an image with Plat's labels first (docker/images.ts), as a dyno's start does.
        const id = await services.imageRef(tag);
        return registry ? (await registry.pushImage(tag)).pinned : id;
      },
      imageCommand: (tag) => services.imageCommand(tag),
      // Without a registry, no other node can pull the image: every task runs on this one.
      ...(registry ? {} : { placement: async () => [`node.id==${(await services.swarmState()).nodeId}`] }),
      instance: options.instance,
      bootTimeoutMs: options.bootTimeoutMs,
      graceSeconds: options.graceSeconds ?? 30,
    });
  }

  /** Refuses to run on an Engine that is no swarm manager: only a manager places services. */
  async checkManager(): Promise<void> {
    refuseUnlessManager(await this.services.swarmState());
  }

  /** The registry's trust files for a new node; empty without a registry or on loopback (nothing to hand out). */
  registryTrust(): string {
    return this.registry?.nodeTrustScript() ?? '';
  }

  /** Tags of an app's images here, less their registry names (which go with the local tag). */
  override async appImageTags(appId: string): Promise<string[]> {
    const tags = await super.appImageTags(appId);
    const registry = this.registry;
    return registry ? tags.filter((tag) => !tag.startsWith(`${registry.host}/`)) : tags;
  }

  /** Untags a build here and, with a registry, its registry name here and its tag in the registry. */
  override async removeImageTag(tag: string): Promise<boolean> {
    const removed = await super.removeImageTag(tag);
    if (removed && this.registry && tag.startsWith('plat/')) {
      const ref = registryRef(this.registry.host, tag);
      await super.removeImageTag(ref);
      await this.registry.deleteTag(ref);
    }
    return removed;
  }

  /** The newest task of each service slot, as dynos (of one app, by name, when given). */
  override async listDynos(app?: string): Promise<ObservedDyno[]> {
    const dynos = await this.formation.dynos();
    return app ? dynos.filter((dyno) => dyno.app === app) : dynos;
  }
}

function refuseUnlessManager(swarm: SwarmState): void {
  if (swarm.state !== 'active' || !swarm.manager) {
    throw new Error(
      `PLAT_RUNTIME=swarm needs this Docker Engine to be a swarm manager (it is ${swarm.state}` +
        `${swarm.state === 'active' ? ', a worker' : ''}): run \`docker swarm init\``,
    );
  }
}

/**
 * SwarmRuntime.checkManager before there is a runtime: main.ts asks first,
 * so a refused platd has made nothing (no data dir, no state server). An
 * Engine that does not answer passes here: the runtime's ping says so later.
 */
export async function checkSwarmManager(docker: Docker = new Docker()): Promise<void> {
  let swarm: SwarmState;
  try {
    swarm = await new SwarmServices({ docker, instance: '' }).swarmState();
  } catch {
    return;
  }
  refuseUnlessManager(swarm);
}
