import Docker from 'dockerode';
import { instanceFilter, LABELS, labelFilter } from '@plat/core';
import type { ImageFact } from './cache-prune-plan.js';
import { ignore } from './docker-errors.js';

/**
 * What Plat holds on Docker's disk, and its removal: image and container
 * listings for the build-cache prune, what each app's images, volumes and
 * containers take (Docker's system df), and the sweep that leaves nothing
 * of a destroyed app. Only what carries this platd's instance label is
 * ever removed, and never with force where another container may hold it.
 */
export interface AppDockerUsage {
  imageBytes: number;
  volumeBytes: number;
  containerBytes: number;
  images: number;
  volumes: number;
  containers: number;
}

export interface DockerLeftovers {
  containers: string[];
  volumes: string[];
  networks: string[];
  /**
   * Networks of an older platd, labelled by app name only. Removed when they
   * can be, but never counted as this app's: after a rename and a new app of
   * the old name, such a network may still carry another app's add-ons.
   */
  legacyNetworks: string[];
  images: string[];
}

interface DfVolume {
  Name: string;
  Labels: Record<string, string> | null;
  UsageData?: { Size: number } | null;
}

interface DfContainer {
  Id: string;
  Labels: Record<string, string> | null;
  SizeRw?: number;
}

export class DockerDisk {
  readonly #docker: Docker;
  readonly #instance: string;

  constructor(options: { instance: string; docker?: Docker }) {
    this.#docker = options.docker ?? new Docker();
    this.#instance = options.instance;
  }

  /** Every image on the Engine, intermediate layers included. */
  async images(): Promise<ImageFact[]> {
    const images = await this.#docker.listImages({ all: true });
    return images.map((image) => ({
      id: image.Id,
      parentId: image.ParentId ?? '',
      created: image.Created,
      size: image.Size,
      labels: image.Labels ?? {},
      tags: image.RepoTags ?? [],
    }));
  }

  /** Image ids of every container on the Engine, running or not, whichever platd (or none) made it. */
  async containerImages(): Promise<string[]> {
    return (await this.#docker.listContainers({ all: true })).map((container) => container.ImageID);
  }

  /** Removes one image, never by force: one that gained a container or a child meanwhile stays. */
  async removeImage(id: string): Promise<boolean> {
    try {
      await this.#docker.getImage(id).remove({ noprune: true });
      return true;
    } catch (error) {
      ignore(404, 409)(error);
      return false;
    }
  }

  /** Volumes and containers of this platd per app id, with their sizes as Docker's system df counts them. */
  async appUsage(images: ImageFact[], ownSize: Map<string, number>): Promise<Map<string, AppDockerUsage>> {
    const df = (await this.#docker.df()) as { Volumes?: DfVolume[] | null; Containers?: DfContainer[] | null };
    const usage = new Map<string, AppDockerUsage>();
    const of = (labels: Record<string, string> | null | undefined): AppDockerUsage | undefined => {
      if (!labels || labels[LABELS.instance] !== this.#instance || !labels[LABELS.appId]) return undefined;
      const appId = labels[LABELS.appId]!;
      if (!usage.has(appId)) {
        usage.set(appId, { imageBytes: 0, volumeBytes: 0, containerBytes: 0, images: 0, volumes: 0, containers: 0 });
      }
      return usage.get(appId);
    };
    for (const image of images) {
      const entry = of(image.labels);
      if (!entry) continue;
      entry.imageBytes += ownSize.get(image.id) ?? 0;
      entry.images += 1;
    }
    for (const volume of df.Volumes ?? []) {
      const entry = of(volume.Labels);
      if (!entry) continue;
      entry.volumeBytes += Math.max(0, volume.UsageData?.Size ?? 0);
      entry.volumes += 1;
    }
    for (const container of df.Containers ?? []) {
      const entry = of(container.Labels);
      if (!entry) continue;
      entry.containerBytes += Math.max(0, container.SizeRw ?? 0);
      entry.containers += 1;
    }
    return usage;
  }

  /** What this platd still has in Docker for an app: by its id, and networks also by its name. */
  async leftovers(appId: string, appName: string): Promise<DockerLeftovers> {
    const mine = { label: [instanceFilter(this.#instance), labelFilter(LABELS.appId, appId)] };
    const containers = await this.#docker.listContainers({ all: true, filters: mine });
    const volumes = (await this.#docker.listVolumes({ filters: mine })).Volumes ?? [];
    const all = await this.#docker.listNetworks({ filters: { label: [instanceFilter(this.#instance)] } });
    const networks = all.filter((network) => network.Labels?.[LABELS.appId] === appId);
    const legacyNetworks = all.filter(
      (network) => !network.Labels?.[LABELS.appId] && network.Labels?.[LABELS.app] === appName,
    );
    const images = await this.#docker.listImages({ all: true, filters: mine });
    return {
      containers: containers.map((container) => container.Id),
      volumes: volumes.map((volume) => volume.Name),
      networks: networks.map((network) => network.Id),
      legacyNetworks: legacyNetworks.map((network) => network.Id),
      images: images.sort((a, b) => b.Created - a.Created).map((image) => image.Id),
    };
  }

  /**
   * Removes everything this platd made for a destroyed app: containers
   * (dynos, one-offs, add-ons), then volumes and images, children before
   * parents. Networks are left to the runtime, which also lifts their
   * firewall rules. An image that carries one of `keepTags` (another app's
   * release runs it: a promotion) stays. Safe to repeat; resolves with what
   * is still there.
   */
  async removeApp(appId: string, appName: string, keepTags: ReadonlySet<string> = new Set()): Promise<DockerLeftovers> {
    const found = await this.leftovers(appId, appName);
    const mine = { label: [instanceFilter(this.#instance), labelFilter(LABELS.appId, appId)] };
    const kept = new Set(
      (await this.#docker.listImages({ filters: mine }))
        .filter((image) => (image.RepoTags ?? []).some((tag) => keepTags.has(tag)))
        .map((image) => image.Id),
    );
    for (const id of found.containers) {
      await this.#docker.getContainer(id).remove({ force: true, v: false }).catch(ignore(404, 409));
    }
    for (const name of found.volumes) await this.#docker.getVolume(name).remove().catch(ignore(404, 409));
    // Newest first: a build's later layers are the children of its earlier ones.
    for (const id of found.images) {
      if (!kept.has(id)) await this.#docker.getImage(id).remove().catch(ignore(404, 409));
    }
    return this.leftovers(appId, appName);
  }
}
