import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { statusOf } from '../docker-errors.js';

/**
 * Images in and out of the Engine as `docker save` tars, for admin:export and
 * admin:import: platd's other modules ask for these intents instead of
 * talking to Docker themselves.
 */

/** Which of these tags the Engine has (a release whose image was pruned has none). */
export async function presentTags(tags: string[], docker: Docker = new Docker()): Promise<string[]> {
  const present: string[] = [];
  for (const tag of tags) {
    try {
      await docker.getImage(tag).inspect();
      present.push(tag);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }
  return present;
}

/** The image id (`sha256:...`) of each of these tags the Engine has. */
export async function imageIds(tags: string[], docker: Docker = new Docker()): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const tag of tags) {
    try {
      ids.set(tag, (await docker.getImage(tag).inspect()).Id);
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
    }
  }
  return ids;
}

/** `docker save` of the tags (layers they share once) into `out`, which is not ended. */
export async function saveImages(
  tags: string[],
  out: NodeJS.WritableStream,
  docker: Docker = new Docker(),
): Promise<void> {
  // dockerode's types lack getImages (GET /images/get?names=...), which it has.
  const saver = docker as unknown as { getImages(options: { names: string[] }): Promise<Readable> };
  const stream = await saver.getImages({ names: tags });
  await pipeline(stream, out, { end: false });
}

/**
 * `docker load` of a saved tar; resolves with the tags Docker reports it
 * loaded, rejects with Docker's message when it refuses the tar.
 */
export async function loadImages(input: NodeJS.ReadableStream, docker: Docker = new Docker()): Promise<string[]> {
  const response = (await docker.loadImage(input, { quiet: true })) as unknown as Readable;
  let text = '';
  for await (const chunk of response) text = (text + (chunk as Buffer).toString()).slice(-64 * 1024);
  const loaded: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let message: { stream?: string; error?: string; errorDetail?: { message?: string } };
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    if (message.error)
      throw new Error(`docker load refused the images: ${message.errorDetail?.message ?? message.error}`);
    const tag = /Loaded image: (\S+)/.exec(message.stream ?? '')?.[1];
    if (tag) loaded.push(tag);
  }
  return loaded;
}

/**
 * Untags one name; the image stays when another tag or a child holds it.
 * `prune` also removes the untagged parents it leaves (an import's undo: the
 * loaded image under a relabelled one), which noprune keeps.
 */
export async function untag(
  tag: string,
  options: { prune?: boolean } = {},
  docker: Docker = new Docker(),
): Promise<void> {
  await docker
    .getImage(tag)
    .remove({ noprune: !options.prune })
    .catch((error: unknown) => {
      if (statusOf(error) !== 404 && statusOf(error) !== 409) throw error;
    });
}

/** An image's labels (to carry them over when an imported image is labelled for this platd). */
export async function imageLabels(tag: string, docker: Docker = new Docker()): Promise<Record<string, string>> {
  return (await docker.getImage(tag).inspect()).Config?.Labels ?? {};
}
