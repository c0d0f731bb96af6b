import type Docker from 'dockerode';
import { ADDON_LABELS, buildNetworkName, instanceFilter, LABELS, labelFilter } from '@plat/core';
import { statusOf } from '../docker-errors.js';
import { bridgeOf } from '../firewall-plan.js';
import type { HostFirewall } from '../host-firewall.js';

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
  /** Networks whose firewall rules this process has checked: converging does not re-run iptables. */
  readonly #isolated = new Set<string>();

  constructor(options: { docker: Docker; instance: string; firewall: HostFirewall }) {
    this.#docker = options.docker;
    this.#instance = options.instance;
    this.#firewall = options.firewall;
  }

  async ensureApp(name: string, app: string, appId?: string): Promise<void> {
    await this.#ensureIsolated(name, appNetworkLabels(this.#instance, app, appId));
  }

  async ensureBuild(): Promise<string> {
    const name = buildNetworkName(this.#instance);
    await this.#ensureIsolated(name, { [LABELS.instance]: this.#instance });
    return name;
  }

  /** Creates the network when missing and makes sure its bridge is firewalled before anything joins it. */
  async #ensureIsolated(name: string, labels: Record<string, string>): Promise<void> {
    const listed = await this.#docker.listNetworks({ filters: { name: [name] } });
    let network: { Id: string; Options?: Record<string, string> } | undefined = listed.find((n) => n.Name === name);
    if (network && this.#isolated.has(network.Id)) return;
    const create = { Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true };
    network ??= { Id: (await this.#docker.createNetwork(create)).id };
    await this.#firewall.isolate(bridgeOf(network));
    this.#isolated.add(network.Id);
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
    for (const info of containers) {
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
