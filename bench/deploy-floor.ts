/**
 * The floor bench/deploy compares against: the same tree built with a plain
 * `docker build` of the buildpack's plan (dependency layers cached), `docker
 * run`, and the first answer on the published port, with no platform around it.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Docker from 'dockerode';
import { parseProcfile } from '@plat/core';
import { detectBuildpack, ImageBuilder, labelEveryLayer, memorySource, STACK_IMAGE } from '@plat/builder';
import { ROOT } from '../test/support/platd.js';

export interface Example {
  example: string;
  /** The file a code-only change edits, and the text in it that the app answers with. */
  file: string;
  marker: string;
}

export const EXAMPLES: readonly Example[] = [
  { example: 'flask-hello', file: 'app.py', marker: 'Hello from Flask on Plat' },
  { example: 'node-web', file: 'build.js', marker: 'Hello from Node.js on Plat' },
  // The smallest Django example: SQLite by default, so no add-on; migrate runs in the release phase.
  { example: 'django-site', file: 'hello/views.py', marker: 'Hello from Django on Plat' },
];

export const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

/** A code-only change: the marker and whatever followed it up to a quote or `!` becomes `text`. */
export function changeCode(dir: string, example: Example, text: string): void {
  const path = join(dir, example.file);
  writeFileSync(path, readFileSync(path, 'utf8').replace(new RegExp(`${example.marker}[^"'!]*`), text));
}

function probe(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function treeFiles(dir: string): Record<string, string> {
  const entries = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return Object.fromEntries(
    entries.map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return [relative(dir, path).split('\\').join('/'), readFileSync(path, 'utf8')];
    }),
  );
}

export interface FloorRound {
  /** Change the code, build, run, first answer: the floor. */
  seconds: number;
  /**
   * Of those, `docker run` of the built image to its first answer: the
   * control for what needs no build (restart, config, rollback), as no
   * platform could restart a container faster than Docker starts one.
   */
  runSeconds: number;
  /**
   * The same `docker run` on a bridge network of its own, unpublished and
   * probed at its address there, as every dyno runs (an app's network keeps
   * tenants apart): what Docker adds there (its embedded DNS, set up with
   * iptables calls in the container's namespace).
   */
  networkRunSeconds: number;
  /**
   * The same docker build (the code changed again) with its steps on that network, as Plat walls each build
   * off the host: Docker sets up its DNS in every RUN step's container there too.
   */
  networkBuildSeconds: number;
  /**
   * The app's release command (Procfile `release:`), `docker run` to its exit: what a hand-typed
   * deploy of the app runs too, and Plat's release phase must, before new code takes traffic.
   */
  releaseSeconds?: number;
}

export interface Floor {
  /** One round: change the code, build, run, first answer. */
  time(run: number): Promise<FloorRound>;
  /** Removes every container and image it made, and its folder. */
  dispose(): Promise<void>;
}

/** Plans the example as platd would, and builds it once so the dependency layers are cached. */
export async function prepareFloor(example: Example): Promise<Floor> {
  const docker = new Docker();
  const images = new ImageBuilder(docker);
  const label = `plat-bench-floor-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'plat-floor-'));
  const dispose = async () => {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`plat.bench=${label}`] } }))
      await docker.getContainer(c.Id).remove({ force: true });
    for (const i of await docker.listImages({ filters: { label: [`plat.bench=${label}`] } }))
      await docker
        .getImage(i.Id)
        .remove({ force: true })
        .catch(() => {});
    for (const n of await docker.listNetworks({ filters: { label: [`plat.bench=${label}`] } }))
      await docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    cpSync(join(ROOT, 'examples', example.example), dir, { recursive: true });
    const source = memorySource(treeFiles(dir));
    const pack = detectBuildpack(source);
    // The lookup too (the registry's Node.js releases), so the floor builds what platd builds.
    const found = await pack.lookup?.(source);
    const plan = pack.plan(source, {
      stackImage: STACK_IMAGE,
      caBundle: '.plat-build/ca-certificates.crt',
      buildDir: '.plat-build',
      ...found,
    });
    const procfile = source.read('Procfile');
    const processes = { ...plan.processTypes, ...(procfile ? parseProcfile(procfile) : {}) };
    const { web, release } = processes;
    if (!web) throw new Error(`${example.example} has no web process`);
    mkdirSync(join(dir, '.plat-build'));
    // Labelled as platd labels its own plans' images: a line after FROM, a cached step, no label step at the end.
    writeFileSync(join(dir, '.plat-build', 'Dockerfile'), labelEveryLayer(plan.dockerfile, { 'plat.bench': label }));
    writeFileSync(join(dir, '.plat-build', 'ca-certificates.crt'), readFileSync('/etc/ssl/certs/ca-certificates.crt'));
    for (const [name, content] of Object.entries(plan.files ?? {}))
      writeFileSync(join(dir, '.plat-build', name), content, { mode: 0o755 });
    const build = (network?: string) =>
      images.build({
        contextDir: dir,
        dockerfile: '.plat-build/Dockerfile',
        tag: `${label}:latest`,
        ...(network ? { network } : {}),
      });
    await build(); // warms the dependency layers
    const network = label;
    await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: { 'plat.bench': label } });
    /**
     * docker run of the built image until it answers: on its published port as typed by hand, or, on a
     * network of its own, at its address there, unpublished, as every dyno runs and the router reaches it.
     */
    const runToAnswer = async (networkMode?: string): Promise<number> => {
      const start = process.hrtime.bigint();
      const publish = networkMode === undefined;
      const container = await docker.createContainer({
        Image: `${label}:latest`,
        Cmd: ['/bin/sh', '-c', web],
        Env: ['PORT=5000'],
        Labels: { 'plat.bench': label },
        ...(publish ? { ExposedPorts: { '5000/tcp': {} } } : {}),
        HostConfig: publish
          ? { PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } }
          : { NetworkMode: networkMode },
      });
      try {
        await container.start();
        const settings = (await container.inspect()).NetworkSettings;
        const [host, port] = publish
          ? ['127.0.0.1', Number(settings.Ports['5000/tcp']![0]!.HostPort)]
          : [settings.Networks[networkMode]!.IPAddress, 5000];
        const deadline = Date.now() + 60_000;
        while (!(await probe(host, port))) {
          if (Date.now() > deadline) throw new Error(`the ${example.example} floor did not answer within 60 s`);
          // As often as platd probes a new dyno (readiness.ts).
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        // The first answer ends a hand-typed deploy; removing the container is not part of it.
        return seconds(start);
      } finally {
        await container.remove({ force: true });
      }
    };
    /** docker run of the release command to its exit, on the network its web process ran on, as Plat runs it. */
    const runRelease = async (command: string) => {
      const container = await docker.createContainer({
        Image: `${label}:latest`,
        Cmd: ['/bin/sh', '-c', command],
        Labels: { 'plat.bench': label },
        HostConfig: { NetworkMode: network },
      });
      try {
        await container.start();
        const { StatusCode } = (await container.wait()) as { StatusCode: number };
        if (StatusCode !== 0) throw new Error(`the ${example.example} floor's release command exited ${StatusCode}`);
      } finally {
        await container.remove({ force: true });
      }
    };
    const time = async (run: number) => {
      changeCode(dir, example, `${example.marker} floor ${run}`);
      const start = process.hrtime.bigint();
      await build();
      const buildSeconds = seconds(start);
      const runSeconds = await runToAnswer();
      const floor = { seconds: buildSeconds + runSeconds, runSeconds };
      const networkRunSeconds = await runToAnswer(network);
      changeCode(dir, example, `${example.marker} floor ${run} walled`);
      const walled = process.hrtime.bigint();
      await build(network);
      const onNetwork = { networkRunSeconds, networkBuildSeconds: seconds(walled) };
      if (!release) return { ...floor, ...onNetwork };
      // As `docker run --rm` does, and Plat's release phase: to the exit and the container's removal.
      const releasing = process.hrtime.bigint();
      await runRelease(release);
      return { ...floor, ...onNetwork, releaseSeconds: seconds(releasing) };
    };
    return { time, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
