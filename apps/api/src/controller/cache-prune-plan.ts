/**
 * Which build layers to delete when this platd's build cache is over its
 * budget. Pure: Docker's image and container listings in, image ids out,
 * so every rule is unit-tested without Docker.
 *
 * Plat builds with Docker's classic builder, whose cache is the untagged
 * intermediate images each step leaves; a failed build leaves its steps'
 * images dangling. Every layer of a Plat build carries the platd's instance
 * label (labelEveryLayer), which is what makes a layer ours to delete.
 */
import { LABELS } from '@plat/core';

export interface ImageFact {
  id: string;
  /** '' for a base image. */
  parentId: string;
  /** Seconds since the epoch, as Docker lists it. */
  created: number;
  /** Docker's size: this layer and all its parents. */
  size: number;
  labels: Record<string, string>;
  tags: string[];
}

export interface CachePruneInput {
  /** Every image on the Engine (`docker images -a`), of any platd or none. */
  images: ImageFact[];
  /** Image ids every container uses, running or stopped, of any platd. */
  containerImages: string[];
  /** Tags (or ids) of images a release still needs: current, kept for rollback, or being rolled out. */
  keep: string[];
  instance: string;
  budgetBytes: number;
  /** Layers made at or after this time (seconds) may belong to a build still running: left alone. */
  notAfter: number;
  /** Apps with a build running: it may be reusing any of their cached layers right now. */
  busyApps: string[];
}

export interface CachePrunePlan {
  /** This platd's cache: bytes of its layers that nothing uses. */
  cacheBytes: number;
  /** Children before parents, so each removal succeeds without force. */
  remove: string[];
  freedBytes: number;
}

const INSTANCE_LABEL = LABELS.instance;
const APP_ID_LABEL = LABELS.appId;

function isTagged(image: ImageFact): boolean {
  return image.tags.some((tag) => tag !== '<none>:<none>');
}

/** The bytes a layer adds to its parent (Docker lists sizes with the parents included). */
export function ownSizes(images: ImageFact[]): Map<string, number> {
  const byId = new Map(images.map((image) => [image.id, image]));
  return new Map(
    images.map((image) => {
      const parent = byId.get(image.parentId);
      return [image.id, Math.max(0, image.size - (parent?.size ?? 0))];
    }),
  );
}

/**
 * Images nothing may delete: in use, kept by a release, tagged, another
 * platd's, a building app's, too new, and all their parents.
 */
function protectedIds(input: CachePruneInput): Set<string> {
  const byId = new Map(input.images.map((image) => [image.id, image]));
  const keep = new Set(input.keep);
  const busy = new Set(input.busyApps);
  const roots = input.images.filter(
    (image) =>
      image.labels[INSTANCE_LABEL] !== input.instance ||
      busy.has(image.labels[APP_ID_LABEL] ?? '') ||
      isTagged(image) ||
      keep.has(image.id) ||
      image.tags.some((tag) => keep.has(tag)) ||
      image.created >= input.notAfter,
  );
  const used = new Set<string>([...roots.map((image) => image.id), ...input.containerImages]);
  const safe = new Set<string>();
  for (const id of used) {
    for (let current = byId.get(id); current && !safe.has(current.id); current = byId.get(current.parentId))
      safe.add(current.id);
    safe.add(id);
  }
  return safe;
}

export function planCachePrune(input: CachePruneInput): CachePrunePlan {
  const safe = protectedIds(input);
  const own = ownSizes(input.images);
  const candidates = input.images.filter((image) => !safe.has(image.id));
  const cacheBytes = candidates.reduce((sum, image) => sum + own.get(image.id)!, 0);
  const children = new Map<string, ImageFact[]>();
  for (const image of candidates) children.set(image.parentId, [...(children.get(image.parentId) ?? []), image]);

  // A candidate's children are candidates too (a protected child protects its
  // parents), so removing a whole subtree, leaves first, always succeeds.
  const remove: string[] = [];
  const chosen = new Set<string>();
  let over = cacheBytes - input.budgetBytes;
  let freedBytes = 0;
  const take = (image: ImageFact) => {
    for (const child of children.get(image.id) ?? []) if (!chosen.has(child.id)) take(child);
    chosen.add(image.id);
    remove.push(image.id);
    freedBytes += own.get(image.id)!;
    over -= own.get(image.id)!;
  };
  for (const image of [...candidates].sort((a, b) => a.created - b.created || a.id.localeCompare(b.id))) {
    if (over <= 0) break;
    if (!chosen.has(image.id)) take(image);
  }
  return { cacheBytes, remove, freedBytes };
}
