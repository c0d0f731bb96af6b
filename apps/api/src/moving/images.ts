import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { LABELS, PlatError } from '@plat/core';
import { imageIds, imageLabels, loadImages, presentTags, untag } from '../controller/docker/image-archive.js';
import type { Platform } from '../platform.js';
import { renamedTag } from './format.js';

/**
 * The images of an import: the saved tar is read for the tags it would give
 * before Docker sees it (docker load names whatever a tar says, and a tag
 * such as plat/stack:latest must not be replaced by an archive), then
 * loaded, and each image is labelled and tagged as this platd's own.
 */

/** What a `docker save` tar would give: its tags, and the image id manifest.json names for each. */
export interface SavedImages {
  tags: string[];
  /** Tag to image id (`sha256:<hex>`, the id of its config blob). */
  ids: Map<string, string>;
}

/** Tags a `docker save` tar would make: from its manifest.json, legacy repositories file and OCI index.json. */
export async function savedTags(path: string): Promise<string[]> {
  return (await savedImages(path)).tags;
}

export async function savedImages(path: string): Promise<SavedImages> {
  const tags: string[] = [];
  const ids = new Map<string, string>();
  let sawManifest = false;
  const reader = extract();
  reader.on('entry', (entry, stream, next) => {
    stream.on('error', () => undefined);
    const name = entry.name.replace(/^\.\//, '');
    if (entry.type !== 'file' || !['manifest.json', 'repositories', 'index.json'].includes(name)) {
      stream.on('end', () => next()).resume();
      return;
    }
    let text = '';
    stream.on('data', (chunk) => {
      if (text.length < 4 * 1024 ** 2) text += (chunk as Buffer).toString();
    });
    stream.on('end', () => {
      try {
        const parsed = JSON.parse(text) as unknown;
        if (name === 'manifest.json') {
          sawManifest = true;
          for (const image of parsed as { RepoTags?: string[] | null; Config?: string }[]) {
            const id = /([0-9a-f]{64})(\.json)?$/.exec(image.Config ?? '')?.[1];
            for (const tag of image.RepoTags ?? []) {
              tags.push(tag);
              if (id) ids.set(tag, `sha256:${id}`);
            }
          }
        } else if (name === 'index.json') {
          // An OCI layout (newer Docker): a containerd image store names images by these annotations.
          const index = parsed as { manifests?: { annotations?: Record<string, string> }[] };
          for (const manifest of index.manifests ?? []) {
            const ref = manifest.annotations?.['io.containerd.image.name'];
            if (ref) tags.push(ref.replace(/^docker\.io\//, '').replace(/^library\//, ''));
          }
        } else {
          for (const [repo, byTag] of Object.entries(parsed as Record<string, Record<string, string>>))
            for (const tag of Object.keys(byTag)) tags.push(`${repo}:${tag}`);
        }
        next();
      } catch (error) {
        next(new Error(`its ${name} is not valid: ${(error as Error).message}`));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    reader.on('finish', () => resolve());
    reader.on('error', reject);
    const file = createReadStream(path);
    file.on('error', (error) => reader.destroy(error));
    file.pipe(reader as unknown as NodeJS.WritableStream);
  });
  if (!sawManifest) throw new Error('it has no manifest.json');
  return { tags: [...new Set(tags)], ids };
}

/**
 * Whether the saved images may be loaded here, before anything changes:
 * every tag they would give is one an exported release names (docker load
 * tags whatever a tar says: plat/stack:latest must not be replaced), none
 * replaces an image this Engine has under that tag, and no tag they become
 * here exists. Resolves with the tags this Engine has already, as the same
 * image (the same instance name on the same host): those are not the import's to remove.
 */
export async function checkAppImages(
  path: string,
  options: { expected: string[]; from: string; to: string },
): Promise<string[]> {
  let saved: SavedImages;
  try {
    saved = await savedImages(path);
  } catch (error) {
    throw new PlatError(
      'invalid_params',
      `The archive's images are not a docker save tar: ${(error as Error).message}`,
    );
  }
  const allowed = new Set(options.expected);
  const stray = saved.tags.filter((tag) => !allowed.has(tag));
  if (stray.length > 0)
    throw new PlatError(
      'invalid_params',
      `The archive's images would tag ${stray.slice(0, 3).join(', ')}, which no exported release names.`,
    );
  const here = await imageIds(options.expected);
  const replaced = [...here].filter(([tag, id]) => saved.ids.get(tag) !== id).map(([tag]) => tag);
  const targets = options.expected
    .map((tag) => renamedTag(tag, options.from, options.to))
    .filter((target) => !allowed.has(target));
  const taken = [...(await imageIds(targets)).keys()];
  if (replaced.length + taken.length > 0)
    throw new PlatError(
      'conflict',
      `This Docker Engine already has ${[...replaced, ...taken].slice(0, 3).join(', ')} as another image: ` +
        'import into a Plat with another PLAT_INSTANCE; nothing was changed.',
    );
  return [...here.keys()];
}

/** A build context of one Dockerfile: `FROM` the loaded image, so only its labels and tag change. */
function relabelContext(from: string): Readable {
  const context = pack();
  context.entry({ name: 'Dockerfile', mode: 0o644 }, `FROM ${from}\n`);
  context.finalize();
  return context as unknown as Readable;
}

/**
 * Loads the saved images (only the `expected` tags of the exporting
 * instance), then gives each this platd's tag and instance label (its
 * prunes and app destroys find images by them) and drops the old tag.
 * Resolves with this platd's tags; `made` collects them as they appear, for
 * an undo.
 */
export async function loadAppImages(
  platform: Platform,
  path: string,
  options: { expected: string[]; from: string; made: string[]; present: string[] },
): Promise<string[]> {
  const to = platform.settings.instance;
  const input = createReadStream(path);
  // A read error cuts the upload to Docker, which then refuses it: that is the error reported.
  input.on('error', () => undefined);
  try {
    await loadImages(input);
  } finally {
    // What docker load tagged counts, even when it failed halfway; tags the Engine had stay.
    const now = await presentTags(options.expected).catch(() => options.expected);
    options.made.push(...now.filter((tag) => !options.present.includes(tag)));
    input.destroy();
  }
  const missing = options.expected.filter((tag) => !options.made.includes(tag) && !options.present.includes(tag));
  if (missing.length > 0) throw new Error(`docker load did not give ${missing.slice(0, 3).join(', ')}`);
  const result: string[] = [];
  for (const tag of options.expected) {
    const target = renamedTag(tag, options.from, to);
    if (target === tag) {
      result.push(tag);
      continue;
    }
    const labels = { ...(await imageLabels(tag)), [LABELS.instance]: to };
    await platform.images.build({ context: relabelContext(tag), dockerfile: 'Dockerfile', tag: target, labels });
    options.made.push(target);
    if (!options.present.includes(tag)) await untag(tag);
    result.push(target);
  }
  return result;
}

/** Undo: the tags an import made, and the images and untagged parents no other tag or container holds. */
export async function removeImportedImages(tags: string[]): Promise<void> {
  for (const tag of [...tags].reverse()) await untag(tag, { prune: true }).catch(() => undefined);
}
