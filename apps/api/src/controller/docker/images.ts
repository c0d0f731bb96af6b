import type Docker from 'dockerode';
import {
  instanceFilter,
  LABELS,
  labelFilter,
  PlatError,
  reservedImageLabels,
  reservedImageLabelsMessage,
} from '@plat/core';
import { statusOf } from '../docker-errors.js';

/** The images this instance built for an app: labelled with its id, whatever the app is called now. */
function appImages(docker: Docker, instance: string, appId: string): Promise<Docker.ImageInfo[]> {
  const label = [instanceFilter(instance), labelFilter(LABELS.appId, appId)];
  return docker.listImages({ filters: { label } });
}

/** Tags of the images built for an app. */
export async function appImageTags(docker: Docker, instance: string, appId: string): Promise<string[]> {
  const images = await appImages(docker, instance, appId);
  return images.flatMap((image) => image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>');
}

/** Tags an image again (`plat/<instance>-<app>:<id>`): same image id, a second name. */
export async function tagImage(docker: Docker, image: string, tag: string): Promise<void> {
  const at = tag.lastIndexOf(':');
  await docker.getImage(image).tag({ repo: tag.slice(0, at), tag: tag.slice(at + 1) });
}

/** Untags (and so frees) an image; one still used by a container stays. */
export async function removeImageTag(docker: Docker, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).remove();
    return true;
  } catch (error) {
    if (statusOf(error) === 404 || statusOf(error) === 409) return false;
    throw error;
  }
}

/**
 * What a container of the image runs when given no command: its ENTRYPOINT
 * then its CMD (a shell-form CMD is already `/bin/sh -c ...` here). Empty
 * when the image names neither.
 */
export async function imageCommand(docker: Docker, image: string): Promise<string[]> {
  const config = (await docker.getImage(image).inspect()).Config;
  const part = (value: unknown): string[] =>
    Array.isArray(value) ? value.map(String) : typeof value === 'string' && value ? [value] : [];
  return [...part(config?.Entrypoint), ...part(config?.Cmd)];
}

/**
 * Refuses to make a container from an image with `plat.` labels Plat did not
 * set (Docker copies them onto the container, where they would make a dyno
 * read as a one-off or an add-on). Builds refuse such images already; this
 * holds for any image a release names, built before that check or not.
 */
export async function refuseReservedLabels(docker: Docker, image: string): Promise<void> {
  if (checkedImages.has(image)) return;
  const info = await docker.getImage(image).inspect();
  const reserved = reservedImageLabels(info.Config?.Labels);
  if (reserved.length > 0) throw new PlatError('release_failed', reservedImageLabelsMessage(reserved));
  if (checkedImages.size >= CHECKED_IMAGES_MAX) checkedImages.clear();
  checkedImages.add(image);
}

/**
 * Image tags found clean: a tag names one build's image for good (Plat makes
 * every app image tag and never moves one), so a restart or scale of the
 * same release skips the inspect.
 */
const checkedImages = new Set<string>();
const CHECKED_IMAGES_MAX = 1000;
