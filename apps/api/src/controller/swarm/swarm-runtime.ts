import Docker from 'dockerode';
import { DockerRuntime } from '../docker-runtime.js';
import type { HostFirewall } from '../host-firewall.js';
import type { ObservedDyno } from '../reconcile.js';
import type { SubnetSource } from '../runtime.js';
import { SwarmServices } from './services.js';
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

  constructor(options: {
    instance: string;
    docker?: Docker;
    firewall?: HostFirewall;
    subnets?: SubnetSource;
    bootTimeoutMs: number;
    /** SIGTERM, then SIGKILL after this long: as the docker runtime retires a dyno. */
    graceSeconds?: number;
  }) {
    const docker = options.docker ?? new Docker();
    super({ ...options, docker, networkDriver: 'overlay' });
    this.services = new SwarmServices({ docker, instance: options.instance });
    this.formation = new SwarmFormation({
      services: this.services,
      instance: options.instance,
      bootTimeoutMs: options.bootTimeoutMs,
      graceSeconds: options.graceSeconds ?? 30,
    });
  }

  /** Docker answers and is a swarm manager: platd places services, which only a manager can. */
  override async ping(): Promise<void> {
    await super.ping();
    const swarm = await this.services.swarmState();
    if (swarm.state !== 'active' || !swarm.manager) {
      throw new Error(
        `PLAT_RUNTIME=swarm needs this Docker Engine to be a swarm manager (it is ${swarm.state}` +
          `${swarm.state === 'active' ? ', a worker' : ''}): run \`docker swarm init\``,
      );
    }
  }

  /** The newest task of each service slot, as dynos (of one app, by name, when given). */
  override async listDynos(app?: string): Promise<ObservedDyno[]> {
    const dynos = await this.formation.dynos();
    return app ? dynos.filter((dyno) => dyno.app === app) : dynos;
  }
}
