import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import { instanceFilter, isInstanceContainer, isStartOf, LABELS, labelFilter } from '@plat/core';
import { attachedOneOffOptions, dynoContainerOptions } from '../container-options.js';
import type { DynoSpec } from '../dyno-spec.js';
import type { ObservedOneOff } from '../one-off-sweep.js';
import type { AttachSession } from '../runtime.js';
import { outputFlow, pipeStdin } from '../session-flow.js';
import { startSuffix } from './dynos.js';
import { refuseReservedLabels } from './images.js';
import type { Sandbox } from './sandboxes.js';

/** How long output may still arrive after the container has exited. */
const OUTPUT_GRACE_MS = { run: 2000, attach: 1000 } as const;

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One-off dynos (release phase, plat run, scheduler jobs): run to their
 * end and removed either way. This process remembers the ones it runs, so
 * a listing tells them from orphans of an earlier platd.
 */
export class OneOffs {
  readonly #docker: Docker;
  readonly #instance: string;
  /** Names of the one-off containers this process runs and will remove. */
  readonly #live = new Set<string>();

  constructor(options: { docker: Docker; instance: string }) {
    this.#docker = options.docker;
    this.#instance = options.instance;
  }

  /** Creates the container, counted as this process's from before it exists until it is gone. */
  async #create(spec: DynoSpec, options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    await refuseReservedLabels(this.#docker, spec.image);
    this.#live.add(spec.containerName);
    return this.#docker.createContainer(options).catch((error: unknown) => {
      this.#live.delete(spec.containerName);
      throw error;
    });
  }

  async #remove(spec: DynoSpec, container: Docker.Container): Promise<void> {
    await container.remove({ force: true }).catch(() => {});
    this.#live.delete(spec.containerName);
  }

  /**
   * Runs the one-off, passing each line it prints to onLine; resolves with
   * its exit code. In a network sandbox when one is given, and then with
   * nothing when it would not start there (a sandbox that died meanwhile):
   * the container is gone again, and the caller runs it without.
   */
  async run(spec: DynoSpec, options: { onLine: (line: string) => void; timeoutMs: number }): Promise<number>;
  async run(
    spec: DynoSpec,
    options: { onLine: (line: string) => void; timeoutMs: number },
    sandbox: Sandbox,
  ): Promise<number | undefined>;
  async run(
    spec: DynoSpec,
    options: { onLine: (line: string) => void; timeoutMs: number },
    sandbox?: Sandbox,
  ): Promise<number | undefined> {
    const container = await this.#create(spec, dynoContainerOptions(spec, startSuffix(), sandbox?.id));
    try {
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const output = new PassThrough();
      this.#docker.modem.demuxStream(stream, output, output);
      stream.on('end', () => output.end());
      const lines = createInterface({ input: output });
      lines.on('line', options.onLine);
      const finished = new Promise<void>((resolve) => lines.on('close', resolve));
      try {
        await container.start();
      } catch (error) {
        if (sandbox) return undefined;
        throw error;
      }
      const timer = setTimeout(() => void container.kill().catch(() => {}), options.timeoutMs);
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      clearTimeout(timer);
      await Promise.race([finished, wait(OUTPUT_GRACE_MS.run)]);
      return StatusCode;
    } finally {
      await this.#remove(spec, container);
    }
  }

  /**
   * Runs the one-off attached to a session: stdin in, stdout and stderr out
   * (one raw stream with a TTY), resolving with the exit code.
   */
  async attach(spec: DynoSpec, session: AttachSession): Promise<number> {
    const container = await this.#create(spec, attachedOneOffOptions(spec, startSuffix(), { tty: session.tty }));
    const kill = () => void container.kill().catch(() => {});
    session.signal.addEventListener('abort', kill, { once: true });
    try {
      const attachOptions = { stream: true, stdin: true, stdout: true, stderr: true, hijack: true };
      const stream = (await container.attach(attachOptions)) as unknown as NodeJS.ReadWriteStream & { end(): void };
      const flow = outputFlow(stream, session.whenDrained);
      if (session.tty) stream.on('data', flow(session.onStdout));
      else {
        const stdout = new PassThrough().on('data', flow(session.onStdout));
        const stderr = new PassThrough().on('data', flow(session.onStderr));
        this.#docker.modem.demuxStream(stream, stdout, stderr);
      }
      const ended = new Promise<void>((resolve) => stream.on('end', resolve));
      await container.start();
      const size = session.tty ? session.size : undefined;
      if (size) await container.resize({ w: size.cols, h: size.rows }).catch(() => {});
      pipeStdin(session.stdin, stream);
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      await Promise.race([ended, wait(OUTPUT_GRACE_MS.attach)]);
      return StatusCode;
    } finally {
      session.signal.removeEventListener('abort', kill);
      await this.#remove(spec, container);
    }
  }

  /** This instance's one-off containers, running or not, and whether this process is the one watching each. */
  async list(): Promise<ObservedOneOff[]> {
    const label = [instanceFilter(this.#instance), labelFilter(LABELS.oneOff)];
    const listed = await this.#docker.listContainers({ all: true, filters: { label } });
    const containers = listed.filter((info) => isInstanceContainer(this.#instance, info.Names));
    return containers.map((info) => ({
      id: info.Id,
      app: info.Labels[LABELS.app] ?? '',
      dyno: info.Labels[LABELS.dyno] ?? '',
      running: info.State === 'running',
      createdAt: new Date(info.Created * 1000),
      tracked: info.Names.some((name) => [...this.#live].some((live) => isStartOf(name, live))),
    }));
  }
}
