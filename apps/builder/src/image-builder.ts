import Docker from 'dockerode';
import { pack } from 'tar-fs';
import type { Readable } from 'node:stream';
import { PlatError } from '@plat/core';
import { BuildProgress } from './build-progress.js';

/**
 * The builder's only door to Docker: build an image from a context folder,
 * import a root filesystem, read and remove images. Callers say what they
 * want; nothing here knows about buildpacks or apps.
 */

export interface ImageBuildSpec {
  /** A folder Plat made itself (the stack, add-on images); never a pushed tree. */
  contextDir?: string;
  /** A ready tar stream of the context: pushed trees arrive as one, never extracted on the host. */
  context?: Readable;
  /** Context-relative Dockerfile path. */
  dockerfile: string;
  tag: string;
  labels?: Record<string, string>;
  buildArgs?: Record<string, string>;
  /** Memory limit for each build step, in bytes. */
  memoryBytes?: number;
  /** The Docker network build steps run on; pushed code gets one walled off from the host. */
  network?: string;
  timeoutMs?: number;
  /** Overrides the builder's output budget for this build. */
  maxOutputBytes?: number;
  onLine?: (line: string) => void;
}

export class ImageBuilder {
  readonly #docker: Docker;
  readonly #maxOutputBytes: number;

  /** maxOutputBytes: a build printing more is stopped and fails (4 MB unless set). */
  constructor(docker: Docker = new Docker(), options: { maxOutputBytes?: number } = {}) {
    this.#docker = docker;
    this.#maxOutputBytes = options.maxOutputBytes ?? 4 * 1024 ** 2;
  }

  /** Builds the image and resolves with its id; rejects with build_failed on any step's failure. */
  async build(spec: ImageBuildSpec): Promise<string> {
    if (!spec.context && !spec.contextDir) throw new Error('An image build needs a context');
    const context = spec.context ?? pack(spec.contextDir!);
    const stream = await this.#docker
      .buildImage(context as unknown as NodeJS.ReadableStream, {
        t: spec.tag,
        dockerfile: spec.dockerfile,
        labels: spec.labels ?? {},
        buildargs: spec.buildArgs ?? {},
        rm: true,
        forcerm: true,
        ...(spec.memoryBytes ? { memory: spec.memoryBytes, memswap: spec.memoryBytes } : {}),
        ...(spec.network ? { networkmode: spec.network } : {}),
      })
      .catch((error: unknown) => {
        spec.context?.destroy();
        throw error;
      });
    return new Promise<string>((resolve, reject) => {
      const progress = new BuildProgress({
        maxOutputBytes: spec.maxOutputBytes ?? this.#maxOutputBytes,
        onLine: (line) => spec.onLine?.(line),
      });
      const response = stream as unknown as Readable;
      let timedOut: string | undefined;
      let done = false;
      const timer = spec.timeoutMs
        ? setTimeout(() => {
            timedOut = `Build timed out after ${Math.round(spec.timeoutMs! / 1000)} s`;
            response.destroy();
          }, spec.timeoutMs)
        : undefined;
      // Closing the response is what makes dockerd cancel the build.
      const finish = (error: Error | null) => {
        if (done) return;
        done = true;
        // A context Docker stopped reading (a failed or cut build) is closed, and with it the saved tar.
        spec.context?.destroy();
        if (timer) clearTimeout(timer);
        progress.end();
        const failure = timedOut ?? progress.failure;
        if (failure) return reject(new PlatError('build_failed', failure));
        // A broken connection or context stream is Plat's failure, not the app's: its raw text stays in platd's log.
        if (error) return reject(error);
        if (!progress.imageId)
          return reject(new PlatError('build_failed', 'The image build finished without an image'));
        resolve(progress.imageId);
      };
      response.on('data', (chunk: Buffer) => {
        if (!progress.push(chunk)) {
          response.destroy();
          finish(null);
        }
      });
      response.on('error', (error) => finish(error));
      response.on('end', () => finish(null));
      response.on('close', () => finish(null));
    });
  }

  /** Imports a root filesystem tarball as an image (the stack's base). */
  async importRootfs(tarball: Readable, repo: string, tag: string): Promise<void> {
    const stream = await this.#docker.importImage(tarball as unknown as NodeJS.ReadableStream, { repo, tag });
    await new Promise<void>((resolve, reject) =>
      this.#docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())),
    );
  }

  /** Untags an image built here; gone already is fine. */
  async untag(image: string): Promise<void> {
    try {
      await this.#docker.getImage(image).remove({ noprune: false });
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }

  /** The image's labels, or undefined when there is no such image. */
  async labels(image: string): Promise<Record<string, string> | undefined> {
    try {
      const info = await this.#docker.getImage(image).inspect();
      return info.Config?.Labels ?? {};
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }
}
