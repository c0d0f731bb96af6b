/**
 * Deploy speed: `git push` to the new release serving, for flask-hello and
 * node-web, cold (a new app: nothing cached for it) and warm (a code-only
 * change), against a real platd. In the same run, the floor: a plain docker
 * build of the same plan with its dependencies cached, docker run, and the
 * first answer on the published port. Loopback only, bounded; writes
 * bench/results/deploy.json with medians. Run: npm run bench:deploy
 */
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { buildpacks, ImageBuilder, memorySource, STACK_IMAGE } from '@plat/builder';
import { exampleRepo } from '../test/support/app-repo.js';
import { get } from '../test/support/http.js';
import { startPlatd, type Platd, ROOT } from '../test/support/platd.js';

const COLD_RUNS = 2;
const WARM_RUNS = 5;

const EXAMPLES = [
  { example: 'flask-hello', file: 'app.py', marker: 'Hello from Flask on Plat', pack: 'python' },
  { example: 'node-web', file: 'build.js', marker: 'Hello from Node.js on Plat', pack: 'node' },
] as const;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 1000) / 1000;
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

async function waitForBody(port: number, host: string, text: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await get(port, host).catch(() => undefined);
    if (response?.body.includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${host} did not answer with ${JSON.stringify(text)} within 60 s`);
}

/** One push, timed from `git push` to the router serving the new text. */
async function timedPush(platd: Platd, repo: string, app: string, text: string): Promise<number> {
  const start = process.hrtime.bigint();
  const push = await platd.git(['push', 'platform', 'main'], repo);
  if (push.code !== 0) throw new Error(`push failed:\n${push.output}`);
  await waitForBody(platd.routerPort, `${app}.localhost`, text);
  return seconds(start);
}

function changeCode(repo: string, file: string, marker: string, text: string): void {
  const path = join(repo, file);
  writeFileSync(path, readFileSync(path, 'utf8').replace(new RegExp(`${marker}[^"'!]*`), text));
}

async function commit(platd: Platd, repo: string, message: string): Promise<void> {
  await platd.git(['add', '-A'], repo);
  await platd.git(['commit', '-q', '-m', message], repo);
}

function probe(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** The floor: docker build (deps cached) + docker run + first answer, no platform around it. */
async function floor(example: (typeof EXAMPLES)[number], runs: number): Promise<number> {
  const docker = new Docker();
  const images = new ImageBuilder(docker);
  const label = `plat-bench-floor-${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'plat-floor-'));
  cpSync(join(ROOT, 'examples', example.example), dir, { recursive: true });
  const files = Object.fromEntries(
    ['requirements.txt', 'app.py', 'package.json', 'package-lock.json', 'server.js', 'build.js'].flatMap((f) => {
      try {
        return [[f, readFileSync(join(dir, f), 'utf8')]];
      } catch {
        return [];
      }
    }),
  );
  const pack = buildpacks.find((p) => p.name === example.pack)!;
  const source = memorySource(files);
  // The lookup too (the registry's Node.js releases), so the floor builds what platd builds.
  const found = await pack.lookup?.(source);
  const plan = pack.plan(source, {
    stackImage: STACK_IMAGE,
    caBundle: '.plat-build/ca-certificates.crt',
    buildDir: '.plat-build',
    ...found,
  });
  mkdirSync(join(dir, '.plat-build'));
  writeFileSync(join(dir, '.plat-build', 'Dockerfile'), plan.dockerfile);
  writeFileSync(join(dir, '.plat-build', 'ca-certificates.crt'), readFileSync('/etc/ssl/certs/ca-certificates.crt'));
  const build = () =>
    images.build({
      contextDir: dir,
      dockerfile: '.plat-build/Dockerfile',
      tag: `${label}:latest`,
      labels: { 'plat.bench': label },
    });
  await build(); // warms the dependency layer
  const times: number[] = [];
  try {
    for (let run = 0; run < runs; run += 1) {
      changeCode(dir, example.file, example.marker, `${example.marker} floor ${run}`);
      const start = process.hrtime.bigint();
      await build();
      const container = await docker.createContainer({
        Image: `${label}:latest`,
        Cmd: ['/bin/sh', '-c', plan.processTypes.web!],
        Env: ['PORT=5000'],
        Labels: { 'plat.bench': label },
        ExposedPorts: { '5000/tcp': {} },
        HostConfig: { PortBindings: { '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      });
      await container.start();
      const port = Number((await container.inspect()).NetworkSettings.Ports['5000/tcp']![0]!.HostPort);
      while (!(await probe(port))) await new Promise((resolve) => setTimeout(resolve, 10));
      times.push(seconds(start));
      await container.remove({ force: true });
    }
  } finally {
    for (const c of await docker.listContainers({ all: true, filters: { label: [`plat.bench=${label}`] } }))
      await docker.getContainer(c.Id).remove({ force: true });
    for (const i of await docker.listImages({ filters: { label: [`plat.bench=${label}`] } }))
      await docker
        .getImage(i.Id)
        .remove({ force: true })
        .catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
  return median(times);
}

const platd = await startPlatd();
const results: Record<string, unknown> = {};
try {
  await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
  for (const example of EXAMPLES) {
    const cold: number[] = [];
    let warmRepo = '';
    let warmApp = '';
    for (let run = 0; run < COLD_RUNS; run += 1) {
      const app = `${example.example.replace(/[^a-z]/g, '')}-cold-${run}`;
      const repo = await exampleRepo(platd, example.example);
      await platd.plat(['apps:create', app], { cwd: repo });
      cold.push(await timedPush(platd, repo, app, example.marker));
      [warmRepo, warmApp] = [repo, app];
    }
    const warm: number[] = [];
    for (let run = 0; run < WARM_RUNS; run += 1) {
      const text = `${example.marker} warm ${run}`;
      changeCode(warmRepo, example.file, example.marker, text);
      await commit(platd, warmRepo, `warm ${run}`);
      warm.push(await timedPush(platd, warmRepo, warmApp, text));
    }
    const floorSeconds = await floor(example, WARM_RUNS);
    const warmMedian = median(warm);
    results[example.example] = {
      cold_seconds_median: median(cold),
      warm_seconds_median: warmMedian,
      floor_seconds_median: floorSeconds,
      warm_over_floor: Math.round((warmMedian / floorSeconds) * 100) / 100,
      cold_runs: cold,
      warm_runs: warm,
    };
    console.log(example.example, results[example.example]);
  }
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'deploy.json'),
    `${JSON.stringify(
      {
        benchmark: 'git push to new release serving',
        targets: { warm_over_floor_at_most: 2, warm_flask_seconds_under: 3 },
        machine: '2 cores',
        date: new Date().toISOString(),
        results,
      },
      null,
      2,
    )}\n`,
  );
} finally {
  await platd.destroy();
}
