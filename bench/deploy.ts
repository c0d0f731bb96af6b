/**
 * Deploy speed against a real platd, each next to the floor (bench/deploy-floor.ts) measured in the same run:
 * a code-only `git push` until the router answers with the new code (flask-hello, node-web, django-site), and
 * on flask-hello `plat config:set`, `plat ps:restart` and `plat rollback` until the router answers from the new
 * config, the new container or the old code (the bench's copy of the app echoes the container's hostname and a
 * config var as headers). Also the cold first deploy, and where a push's time goes: its `Done in` line and the
 * build's and release's `timings`. Medians of --rounds N (default 5); loopback only, bounded in time; removes
 * what it made, on failure too. Writes bench/results/deploy.json. Run: npm run bench:deploy -- --rounds 5
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Docker from 'dockerode';
import { LABELS } from '@plat/core';
import { exampleRepo } from '../test/support/app-repo.js';
import { get, type HttpResult } from '../test/support/http.js';
import { startPlatd } from '../test/support/platd.js';
import { changeCode, EXAMPLES, type Example, prepareFloor, seconds } from './deploy-floor.js';
import { startGitControl } from './git-control.js';
import { median, round, writeResult } from './support.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 50) throw new Error('--rounds takes 1 to 50');
const TARGETS = { code_only: 1.0, no_build: 0.6 };
/** The whole run's bound; every wait is bounded by it and by 60 s. */
const DEADLINE = Date.now() + (10 + ROUNDS * 3) * 60_000;

type Phases = Record<string, number>;

const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch((error) => console.error(error));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));

const platd = await startPlatd({ env: { PLAT_API_RATE_LIMIT: '0' } });
cleanups.push(() => platd.destroy());

async function plat(args: string[], cwd?: string): Promise<string> {
  const result = await platd.plat(args, cwd ? { cwd } : {});
  if (result.code !== 0) throw new Error(`plat ${args.join(' ')} failed:\n${result.output}`);
  return result.stdout;
}

async function git(args: string[], cwd: string): Promise<string> {
  const result = await platd.git(args, cwd);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed:\n${result.output}`);
  return result.output;
}

/** Polls the app through the router every 5 ms until `check` holds. */
async function until(app: string, what: string, check: (response: HttpResult) => boolean): Promise<HttpResult> {
  const deadline = Math.min(Date.now() + 60_000, DEADLINE);
  while (Date.now() < deadline) {
    const response = await get(platd.routerPort, `${app}.localhost`, '/', { timeoutMs: 5000 }).catch(() => undefined);
    if (response && check(response)) return response;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${app} did not answer with ${what} in time`);
}

/**
 * Until the app runs only its formation's `count` dynos (the sandboxes they joined, its spare, its build sandbox):
 * the dynos a rollout retired are stopped and gone.
 * Each timed step with no build starts from there, as the floor's rounds do, and not while Docker still tears
 * down the last step's dyno (a stop competes for the same 2 cores).
 */
async function settled(app: string, count = 1): Promise<void> {
  const docker = new Docker();
  const deadline = Math.min(Date.now() + 60_000, DEADLINE);
  const filters = { label: [`${LABELS.instance}=${platd.instance}`, `${LABELS.app}=${app}`] };
  // Steady over consecutive listings: a sandbox a push readied and discards can look like the spare a moment.
  let seen = '';
  let times = 0;
  while (Date.now() < deadline) {
    const containers = await docker.listContainers({ all: true, filters });
    const listing = containers
      .map((c) => `${c.Id}:${c.State}`)
      .sort()
      .join();
    times = listing === seen ? times + 1 : 1;
    seen = listing;
    // The formation's dynos, the network sandboxes they joined, at most one spare and the app's build sandbox; no
    // one-off.
    const dynos = containers.filter((c) => c.Labels[LABELS.dyno]);
    const sandboxes = containers.filter((c) => c.Labels[LABELS.sandbox]);
    const builds = containers.filter((c) => c.Labels[LABELS.buildSandbox]);
    const joined = new Set(dynos.map((c) => c.Labels[LABELS.inSandbox]));
    const steady =
      dynos.length === count &&
      dynos.length + sandboxes.length + builds.length === containers.length &&
      builds.length <= 1 &&
      !dynos.some((c) => c.Labels[LABELS.oneOff]) &&
      sandboxes.filter((c) => !joined.has(c.Id)).length <= 1 &&
      containers.every((c) => c.State === 'running');
    if (steady && times >= 5) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${app} did not settle to ${count} running container(s) in time`);
}

/**
 * The dyno (short id) whose hostname a response showed: its own container's id, or in a network sandbox
 * (whose hostname a dyno joining it takes, as Docker has it) the sandbox's.
 */
async function dynoWithHostname(hostname: string): Promise<string> {
  const containers = await new Docker().listContainers({
    filters: { label: [`${LABELS.instance}=${platd.instance}`] },
  });
  const sandbox = containers.find((c) => c.Id.startsWith(hostname) && c.Labels[LABELS.sandbox]);
  const dyno = sandbox ? containers.find((c) => c.Labels[LABELS.inSandbox] === sandbox.Id) : undefined;
  return dyno ? dyno.Id.slice(0, 12) : hostname;
}

const answers = (text: string) => (response: HttpResult) => response.status === 200 && response.body.includes(text);

/** Times `action` until the router shows its effect. */
async function timed(action: () => Promise<unknown>, done?: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  await done?.();
  return seconds(start);
}

/** A push's own account: `-----> Done in 0.92 s: build 0.31, start 0.22, ...` (phases under 5 ms left out). */
function doneLine(output: string): { total: number; phases: Phases } | undefined {
  const match = /Done in ([\d.]+) s(?::\s*([^\n]*))?/.exec(output);
  if (!match) return undefined;
  const phases = (match[2] ?? '').split(',').map((part) => /^\s*(\S+) ([\d.]+)/.exec(part));
  return {
    total: Number(match[1]),
    phases: Object.fromEntries(phases.flatMap((m) => (m ? [[m[1]!, Number(m[2])]] : []))),
  };
}

/** The median of each phase over rounds; a phase missing from a round counts 0 there. */
function medianPhases(rounds: Phases[]): Phases {
  const names = [...new Set(rounds.flatMap((phases) => Object.keys(phases)))];
  return Object.fromEntries(names.map((name) => [name, round(median(rounds.map((phases) => phases[name] ?? 0)))]));
}

interface Timed {
  version: number;
  current: boolean;
  timings?: Phases | null;
  created_at: string;
}

/** The latest release and build of the app, as `plat releases --json` and `plat builds --json` show them. */
async function latest(app: string): Promise<{ release: Timed; build: Timed | undefined }> {
  const releases = JSON.parse(await plat(['releases', '-a', app, '--json'])) as Timed[];
  const builds = JSON.parse(await plat(['builds', '-a', app, '--json'])) as Timed[];
  const byDate = (a: Timed, b: Timed) => b.created_at.localeCompare(a.created_at);
  return { release: releases.sort((a, b) => b.version - a.version)[0]!, build: builds.sort(byDate)[0] };
}

/** Each round's bare `docker run` to first answer, on Docker's default network and on a network of its own. */
interface RunControls {
  runs: number[];
  onNetwork: number[];
}

/** `controls`: the same rounds' run controls (rows that need no build). */
function row(runs: number[], floorRuns: number[], target: number, controls?: RunControls) {
  const [value, floor] = [median(runs), median(floorRuns)];
  const overFloor = round(value / floor, 2);
  const control = controls ? median(controls.runs) : undefined;
  const onNetwork = controls ? median(controls.onNetwork) : undefined;
  return {
    seconds_median: round(value),
    floor_seconds_median: round(floor),
    over_floor: overFloor,
    target_over_floor: target,
    meets_targets: overFloor <= target,
    runs: runs.map((v) => round(v)),
    floor_runs: floorRuns.map((v) => round(v)),
    ...(controls && control !== undefined && onNetwork !== undefined
      ? {
          // Docker alone, with no platform: when it is over the target, the target is this machine's, not Plat's.
          run_control_seconds_median: round(control),
          run_control_over_floor: round(control / floor, 2),
          over_run_control: round(value / control, 2),
          run_control_runs: controls.runs.map((v) => round(v)),
          run_control_on_network_seconds_median: round(onNetwork),
          run_control_on_network_over_floor: round(onNetwork / floor, 2),
        }
      : {}),
  };
}

/** A new app from the example (cold first deploy), then code-only pushes, each round next to one floor round. */
async function codeOnly(example: Example) {
  const app = `bench-${example.example.replace(/[^a-z]/g, '').slice(0, 20)}`;
  const repo = await exampleRepo(platd, example.example);
  await plat(['apps:create', app], repo);
  const push = () => git(['push', 'platform', 'main'], repo);
  const cold = await timed(push, () => until(app, example.marker, answers(example.marker)));
  const floor = await prepareFloor(example);
  cleanups.push(floor.dispose);
  const gitControl = await startGitControl();
  cleanups.push(gitControl.dispose);
  await gitControl.push(repo, platd.userEnv);
  const gitRuns: number[] = [];
  const runs: number[] = [];
  const floorRuns: number[] = [];
  const controlRuns: number[] = [];
  const networkRuns: number[] = [];
  const networkBuilds: number[] = [];
  const outside: number[] = [];
  const releaseRuns: number[] = [];
  const [done, builds, releases] = [[], [], []] as [Phases[], Phases[], Phases[]];
  for (let run = 0; run < ROUNDS; run += 1) {
    const text = `${example.marker} round ${run}`;
    changeCode(repo, example, text);
    await git(['commit', '-q', '-am', `round ${run}`], repo);
    let output = '';
    const pushed = async () => (output = await push());
    await settled(app);
    runs.push(await timed(pushed, () => until(app, text, answers(`${text}!`))));
    const line = doneLine(output);
    if (!line) throw new Error(`no "Done in" line in the push output:\n${output}`);
    done.push({ total: line.total, ...line.phases });
    outside.push(runs.at(-1)! - line.total);
    const { release, build } = await latest(app);
    releases.push(release.timings ?? {});
    builds.push(build?.timings ?? {});
    const floorRound = await floor.time(run);
    floorRuns.push(floorRound.seconds);
    controlRuns.push(floorRound.runSeconds);
    networkRuns.push(floorRound.networkRunSeconds);
    networkBuilds.push(floorRound.networkBuildSeconds);
    if (floorRound.releaseSeconds !== undefined) releaseRuns.push(floorRound.releaseSeconds);
    gitRuns.push(await gitControl.push(repo, platd.userEnv));
  }
  await floor.dispose();
  await gitControl.dispose();
  const phases = {
    push_done_line_median: medianPhases(done),
    outside_done_line_seconds_median: round(median(outside)),
    // The floor's own split: its docker build, and docker run to the first answer.
    floor_median: {
      build: round(median(floorRuns.map((total, i) => total - controlRuns[i]!))),
      run: round(median(controlRuns)),
      run_on_own_network: round(median(networkRuns)),
      build_on_own_network: round(median(networkBuilds)),
      ...(releaseRuns.length > 0 ? { release_command: round(median(releaseRuns)) } : {}),
    },
    build_timings_median: medianPhases(builds),
    release_timings_median: medianPhases(releases),
  };
  const controls: RunControls = { runs: controlRuns, onNetwork: networkRuns };
  // The control: the floor as Plat must run it, its build and run on a network of its own and the release command.
  const asPlatRuns = floorRuns.map((_, i) => networkBuilds[i]! + networkRuns[i]! + (releaseRuns[i] ?? 0));
  const controlled = {
    ...row(runs, floorRuns, TARGETS.code_only),
    floor_as_plat_runs_seconds_median: round(median(asPlatRuns)),
    over_floor_as_plat_runs: round(median(runs) / median(asPlatRuns), 2),
    git_control_seconds_median: round(median(gitRuns)),
    over_floor_and_git_control: round(median(runs) / median(floorRuns.map((floor, i) => floor + gitRuns[i]!)), 2),
  };
  return { app, repo, cold, row: controlled, controls, phases };
}

/** What the bench's copy of flask-hello adds: the container and a config var, as response headers. */
const ECHO = `
import os as _bench_os  # noqa: E402
import socket as _bench_socket  # noqa: E402


@app.after_request
def _bench_headers(response):
    response.headers["X-Bench-Host"] = _bench_socket.gethostname()
    response.headers["X-Bench-Config"] = _bench_os.environ.get("BENCH_N", "")
    return response
`;

/** Config change, restart and rollback on the flask-hello app, each round; seconds and their releases' timings. */
async function noBuild(app: string, repo: string, flask: Example) {
  appendFileSync(join(repo, flask.file), ECHO);
  const versions: Record<string, number> = {};
  for (const code of ['A', 'B']) {
    changeCode(repo, flask, `${flask.marker} code ${code}`);
    await git(['commit', '-q', '-am', `code ${code}`], repo);
    await git(['push', 'platform', 'main'], repo);
    await until(app, `code ${code}`, answers(`code ${code}!`));
    versions[code] = (await latest(app)).release.version;
  }
  let code = 'B';
  const runs = { config: [] as number[], restart: [] as number[], rollback: [] as number[] };
  const timings = { config: [] as Phases[], rollback: [] as Phases[] };
  for (let run = 0; run < ROUNDS; run += 1) {
    const value = `r${run}`;
    const configured = (r: HttpResult) => r.status === 200 && r.headers['x-bench-config'] === value;
    await settled(app);
    runs.config.push(
      await timed(
        () => plat(['config:set', '-a', app, `BENCH_N=${value}`]),
        () => until(app, `BENCH_N=${value}`, configured),
      ),
    );
    timings.config.push((await latest(app)).release.timings ?? {});

    const before = (await until(app, 'a host', answers(flask.marker))).headers['x-bench-host'];
    await settled(app);
    let after: HttpResult | undefined;
    const moved = async () =>
      (after = await until(app, 'a new host', (r) => r.status === 200 && r.headers['x-bench-host'] !== before));
    runs.restart.push(await timed(() => plat(['ps:restart', '-a', app]), moved));
    const ids = (JSON.parse(await plat(['ps', '-a', app, '--json'])) as { id: string }[]).map((d) => d.id);
    const answering = await dynoWithHostname(String(after!.headers['x-bench-host']));
    if (!ids.includes(answering)) {
      throw new Error(`the router answered from ${answering}, plat ps shows ${ids.join(', ')}`);
    }

    code = code === 'A' ? 'B' : 'A';
    const target = `code ${code}!`;
    await settled(app);
    runs.rollback.push(
      await timed(
        () => plat(['rollback', `v${versions[code]}`, '-a', app]),
        () => until(app, target, answers(target)),
      ),
    );
    timings.rollback.push((await latest(app)).release.timings ?? {});
  }
  return { runs, timings };
}

try {
  await plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
  const rows: Record<string, ReturnType<typeof row>> = {};
  const cold: Record<string, number> = {};
  const phases: Record<string, unknown> = {};
  let flask: { app: string; repo: string; floorRuns: number[]; controls: RunControls } | undefined;
  for (const example of EXAMPLES) {
    const result = await codeOnly(example);
    rows[`code-only push ${example.example}`] = result.row;
    cold[example.example] = round(result.cold);
    phases[`code-only push ${example.example}`] = result.phases;
    if (example.example === 'flask-hello') flask = { ...result, floorRuns: result.row.floor_runs };
    console.log(example.example, result.row, result.phases);
  }
  const { runs, timings } = await noBuild(flask!.app, flask!.repo, EXAMPLES[0]!);
  for (const [name, values] of Object.entries(runs))
    rows[`${name} flask-hello`] = row(values, flask!.floorRuns, TARGETS.no_build, flask!.controls);
  phases['config flask-hello'] = { release_timings_median: medianPhases(timings.config) };
  phases['rollback flask-hello'] = { release_timings_median: medianPhases(timings.rollback) };
  // What every plat command costs before it does anything: part of each row with no build.
  const cliStarts: number[] = [];
  for (let run = 0; run < ROUNDS; run += 1) cliStarts.push(await timed(() => plat(['--help'])));
  const result = {
    benchmark: 'deploys, config changes, restarts and rollbacks until the router answers, against the floor',
    floor: 'docker build of the same plan (dependency layers cached) + docker run + first answer',
    run_control: 'of the floor, docker run of the built image to its first answer: no build, no platform',
    run_control_on_network:
      'the same docker run on a bridge network of its own, unpublished and probed at its address there, as every ' +
      'dyno runs (Docker sets up its DNS there)',
    floor_as_plat_runs:
      'code-only rows: the floor with its docker build and docker run on a network of its own, plus docker run ' +
      'of the Procfile release command to its exit on that network when the app has one ' +
      "(Plat's release phase gates every deploy on it)",
    git_control:
      'code-only rows: git push of the same commit to a bare repository behind a minimal smart-HTTP server (no ' +
      "authentication, no hook): git's transport alone, which a push has and the floor does not",
    rounds: ROUNDS,
    targets: {
      code_only_over_floor_at_most: TARGETS.code_only,
      config_restart_rollback_over_floor_at_most: TARGETS.no_build,
    },
    meets_targets: Object.values(rows).every((r) => r.meets_targets),
    rows,
    cold_first_deploy_seconds: cold,
    cli_start_seconds_median: round(median(cliStarts)),
    phases,
  };
  console.log(JSON.stringify(result, null, 2));
  writeResult('deploy', result);
} finally {
  await cleanUp();
}
