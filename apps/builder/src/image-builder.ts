import Docker from 'dockerode';
import { pack } from 'tar-fs';
import type { Readable } from 'node:stream';
import { PlatError } from '@plat/core';

/**
 * The builder's only door to Docker: build an image from a context folder,
 * import a root filesystem, read and remove images. Callers say what they
 * want; nothing here knows about buildpacks or apps.
 */

export interface ImageBuildSpec {
  contextDir: string;
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
  onLine?: (line: string) => void;
}

interface BuildMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

export class ImageBuilder {
  readonly #docker: Docker;

  constructor(docker: Docker = new Docker()) {
    this.#docker = docker;
  }

  /** Builds the image and resolves with its id; rejects with build_failed on any step's failure. */
  async build(spec: ImageBuildSpec): Promise<string> {
    const context = pack(spec.contextDir);
    const stream = await this.#docker.buildImage(context as unknown as NodeJS.ReadableStream, {
      t: spec.tag,
      dockerfile: spec.dockerfile,
      labels: spec.labels ?? {},
      buildargs: spec.buildArgs ?? {},
      rm: true,
      forcerm: true,
      ...(spec.memoryBytes ? { memory: spec.memoryBytes, memswap: spec.memoryBytes } : {}),
      ...(spec.network ? { networkmode: spec.network } : {}),
    });
    return new Promise<string>((resolve, reject) => {
      let imageId: string | undefined;
      let failure: string | undefined;
      let pending = '';
      const timer = spec.timeoutMs
        ? setTimeout(() => {
            failure = `Build timed out after ${Math.round(spec.timeoutMs! / 1000)} s`;
            (stream as unknown as Readable).destroy();
          }, spec.timeoutMs)
        : undefined;
      const emit = (text: string) => {
        pending += text;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) spec.onLine?.(line.replace(/\r/g, ''));
      };
      const finish = (error: Error | null) => {
        if (timer) clearTimeout(timer);
        if (pending) spec.onLine?.(pending);
        pending = '';
        if (failure || error) return reject(new PlatError('build_failed', failure ?? error!.message));
        if (!imageId) return reject(new PlatError('build_failed', 'The image build finished without an image'));
        resolve(imageId);
      };
      this.#docker.modem.followProgress(
        stream,
        (error: Error | null) => finish(error),
        (message: BuildMessage) => {
          if (message.stream) emit(message.stream);
          if (message.aux?.ID) imageId = message.aux.ID;
          if (message.error) failure = message.errorDetail?.message ?? message.error;
        },
      );
    });
  }

  /** Imports a root filesystem tarball as an image (the stack's base). */
  async importRootfs(tarball: Readable, repo: string, tag: string): Promise<void> {
    const stream = await this.#docker.importImage(tarball as unknown as NodeJS.ReadableStream, { repo, tag });
    await new Promise<void>((resolve, reject) =>
      this.#docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())),
    );
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
