import type Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { ADDON_LABELS, buildNetworkName, instanceFilter, isInstanceContainer, LABELS, labelFilter } from '@plat/core';
import { statusOf } from '../docker-errors.js';
import { bridgeOf, SWARM_GATEWAY_BRIDGE } from '../firewall-plan.js';
import type { HostFirewall } from '../host-firewall.js';
import { formatCidr, gatewayOf, parseCidr, parseRoutes } from '../network-pool.js';
import type { SubnetSource, UsedSubnet } from '../runtime.js';

/** Blocks tried for one network when Docker finds each already taken (other platds racing for them). */
const BLOCK_ATTEMPTS = 5;
/** Docker's switch for traffic between a bridge's containers. */
const ICC = 'com.docker.network.bridge.enable_icc';

/** Labels of an app's network: by the app's id, so a rename keeps it; a platd before ids labelled it by name. */
export function appNetworkLabels(instance: string, app: string, appId?: string): Record<string, string> {
  return { [LABELS.instance]: instance, ...(appId ? { [LABELS.appId]: appId } : { [LABELS.app]: app }) };
}

/**
 * The Docker networks of a platd: one per app and one for builds, each
 * firewalled off the host (host-firewall.ts) before any container joins it.
 */
export class DockerNetworks {
  readonly #docker: Docker;
  readonly #instance: string;
  readonly #firewall: HostFirewall;
  readonly #subnets: SubnetSource | undefined;
  /** `overlay` on a swarm: attachable, so add-on containers join the app's services on it. */
  readonly #driver: 'bridge' | 'overlay';
  /** Networks whose firewall rules this process has checked: converging does not re-run iptables. */
  readonly #isolated = new Set<string>();

  /** Without `subnets`, Docker chooses app networks' subnets from its own pools. */
  constructor(options: {
    docker: Docker;
    instance: string;
    firewall: HostFirewall;
    subnets?: SubnetSource;
    driver?: 'bridge' | 'overlay';
  }) {
    this.#driver = options.driver ?? 'bridge';
    this.#docker = options.docker;
    this.#instance = options.instance;
    this.#firewall = options.firewall;
    this.#subnets = options.subnets;
  }

  async ensureApp(name: string, app: string, appId?: string): Promise<void> {
    await this.#ensureIsolated(name, appNetworkLabels(this.#instance, app, appId), { appId });
  }

  /**
   * The network every app's builds share: a bridge of this Docker's (on a
   * swarm too: builds run on the manager), its containers kept apart, so no
   * build reaches another's (a step serving what it fetched, say).
   */
  async ensureBuild(): Promise<string> {
    const name = buildNetworkName(this.#instance);
    await this.#ensureIsolated(name, { [LABELS.instance]: this.#instance }, { apart: true });
    return name;
  }

  /**
   * At platd's start, while none of its builds runs: a build network an
   * earlier platd made with its containers able to reach each other (or as
   * an overlay, as a swarm's once was) goes, with the build sandboxes on it,
   * and is made again. Resolves with why it stayed, when another container
   * still uses it: the firewall rule alone keeps its containers apart then.
   */
  async remakeOpenBuild(): Promise<string | undefined> {
    const name = buildNetworkName(this.#instance);
    const found = await this.#find(name);
    if (!found || (found.Driver === 'bridge' && found.Options?.[ICC] === 'false')) return undefined;
    const attached = await this.#docker.listContainers({ filters: { network: [found.Id] } });
    // Only this platd's own build sandboxes go with it (a label alone anyone can set).
    const own = (info: Docker.ContainerInfo) =>
      Boolean(info.Labels?.[LABELS.buildSandbox]) && isInstanceContainer(this.#instance, info.Names);
    const others = attached.filter((info) => !own(info));
    if (others.length > 0) {
      const names = others.map((info) => info.Names?.[0]?.replace(/^\//, '') ?? info.Id.slice(0, 12)).join(', ');
      return (
        `${name} lets its containers reach each other (an earlier platd made it so), and ${names} still uses it: ` +
        'builds are kept apart only by the firewall rule until platd starts with it free'
      );
    }
    for (const info of attached) {
      await this.#docker
        .getContainer(info.Id)
        .remove({ force: true })
        .catch((error: unknown) => {
          if (statusOf(error) !== 404) throw error;
        });
    }
    await this.remove(found.Id);
    await this.ensureBuild();
    return undefined;
  }

  /** Creates the network when missing and makes sure its bridge is firewalled before anything joins it. */
  async #ensureIsolated(
    name: string,
    labels: Record<string, string>,
    options: { appId?: string; apart?: boolean },
  ): Promise<void> {
    const { appId } = options;
    let network = await this.#find(name);
    if (network && this.#isolated.has(network.Id)) return;
    // Containers kept apart share a bridge of this Docker's own.
    const overlay = this.#driver === 'overlay' && !options.apart;
    // Docker's own switch as well as our rule: Docker then makes sure bridged packets pass through iptables.
    const apart = options.apart ? { Options: { [ICC]: 'false' } } : {};
    const create = {
      Name: name,
      Driver: overlay ? 'overlay' : 'bridge',
      Labels: labels,
      CheckDuplicate: true,
      Attachable: overlay,
      ...apart,
    };
    network ??=
      appId && this.#subnets ? await this.#createInBlock(create, appId, this.#subnets) : await this.#create(create);
    // An overlay has no bridge on the host: its tasks leave the node through Swarm's gateway bridge.
    if (overlay) await this.#firewall.isolate(SWARM_GATEWAY_BRIDGE);
    else await this.#firewall.isolate(bridgeOf(network), { apart: Boolean(options.apart) });
    this.#isolated.add(network.Id);
  }

  /** Creates the network; one made meanwhile by another caller (two first pushes at once) is the one. */
  async #create(create: Docker.NetworkCreateOptions): Promise<{ Id: string; Options?: Record<string, string> | null }> {
    try {
      return { Id: (await this.#docker.createNetwork(create)).id };
    } catch (error) {
      const made = await this.#find(create.Name);
      if (made) return made;
      throw error;
    }
  }

  async #find(
    name: string,
  ): Promise<{ Id: string; Driver?: string; Options?: Record<string, string> | null } | undefined> {
    const listed = await this.#docker.listNetworks({ filters: { name: [name] } });
    return listed.find((n) => n.Name === name);
  }

  /**
   * Creates an app's network in the app's block. When Docker finds the block
   * taken (another platd on this Engine made a network there since the block
   * was chosen), the app moves to the next free block, a few times at most.
   */
  async #createInBlock(
    create: Docker.NetworkCreateOptions,
    appId: string,
    subnets: SubnetSource,
  ): Promise<{ Id: string; Options?: Record<string, string> | null }> {
    let block = await subnets.blockOf(appId);
    for (let attempt = 1; ; attempt += 1) {
      const ipam = { Driver: 'default', Config: [{ Subnet: block, Gateway: gatewayOf(parseCidr(block)) }] };
      try {
        return { Id: (await this.#docker.createNetwork({ ...create, IPAM: ipam })).id };
      } catch (error) {
        // Made meanwhile by another caller (a deploy and an add-on at once): that one is the app's.
        const made = await this.#find(create.Name);
        if (made) return made;
        if (!isOverlap(error) || attempt >= BLOCK_ATTEMPTS) throw error;
        block = await subnets.replace(appId, block);
      }
    }
  }

  /**
   * The IPv4 subnets in use on this host: every Docker network's (this
   * platd's marked own) and the host's routes, less those of Docker's bridges
   * (their networks are listed already) and the default route.
   */
  async subnetsInUse(): Promise<UsedSubnet[]> {
    const networks = await this.#docker.listNetworks();
    const used: UsedSubnet[] = networks.flatMap((network) =>
      (network.IPAM?.Config ?? [])
        .map((config) => config.Subnet ?? '')
        .filter((subnet) => /^[\d.]+\/\d+$/.test(subnet))
        .map((subnet) => ({
          subnet,
          own: network.Labels?.[LABELS.instance] === this.#instance,
          what: `Docker network ${network.Name}`,
        })),
    );
    const bridges = new Set(networks.map((network) => bridgeOf(network)));
    const routes = parseRoutes(hostRouteTable(), endianness() === 'LE');
    for (const route of routes.filter((r) => !bridges.has(r.iface)))
      used.push({ subnet: formatCidr(route.destination), own: false, what: `a route via ${route.iface}` });
    return used;
  }

  /** A restarted dockerd may have rebuilt its chains: the networks' rules are checked again. */
  forgetIsolation(): void {
    this.#isolated.clear();
  }

  async remove(name: string): Promise<void> {
    let network: Docker.NetworkInspectInfo;
    try {
      network = (await this.#docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo;
      await this.#docker.getNetwork(network.Id).remove();
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      return;
    }
    this.#isolated.delete(network.Id);
    await this.#firewall.release(bridgeOf(network));
  }

  /** Takes this instance's add-on containers off a network. */
  async detachAddons(name: string): Promise<void> {
    const label = [instanceFilter(this.#instance), labelFilter(ADDON_LABELS.name)];
    const containers = await this.#docker.listContainers({ all: true, filters: { network: [name], label } });
    for (const info of containers.filter((c) => isInstanceContainer(this.#instance, c.Names))) {
      await this.#docker
        .getNetwork(name)
        .disconnect({ Container: info.Id, Force: true })
        .catch((error: unknown) => {
          if (statusOf(error) !== 404) throw error;
        });
    }
  }

  /** Removes app networks (by id) of apps that are gone; one still in use stays for the next sweep. */
  async removeOrphans(liveAppIds: () => Promise<Set<string>>): Promise<void> {
    const label = [instanceFilter(this.#instance), labelFilter(LABELS.appId)];
    const networks = await this.#docker.listNetworks({ filters: { label } });
    // Read after the listing: an app created meanwhile keeps its new network.
    const appIds = await liveAppIds();
    for (const network of networks.filter((n) => !appIds.has(n.Labels?.[LABELS.appId] ?? ''))) {
      await this.remove(network.Name).catch((error: unknown) => {
        if (statusOf(error) !== 403 && statusOf(error) !== 409) throw error;
      });
    }
  }
}

/** The kernel's IPv4 routes, as text; none where there is no /proc (they are a check, not a need). */
function hostRouteTable(): string {
  try {
    return readFileSync('/proc/net/route', 'utf8');
  } catch {
    return '';
  }
}

/**
 * Docker's answers to a subnet another network has: its address manager's
 * "Pool overlaps with other one on this address space", or the bridge
 * driver's "conflicts with network ...".
 */
function isOverlap(error: unknown): boolean {
  return /pool overlaps|conflicts with network/i.test((error as Error)?.message ?? '');
}
