/** What the benchmarks share: a real platd with one deployed example, and result files. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleRepo } from '../test/support/app-repo.js';
import { startPlatd, type Platd } from '../test/support/platd.js';
import { type SingleNodeSwarm, withSingleNodeSwarm } from '../test/support/swarm.js';

export type BenchRuntime = 'docker' | 'swarm';

/** `--runtime docker|swarm|both` (default both): the runtimes a bench runs on, docker first. */
export function runtimesFromArgs(argv = process.argv.slice(2)): BenchRuntime[] {
  const at = argv.indexOf('--runtime');
  const value = at >= 0 ? argv[at + 1] : 'both';
  if (value === 'docker' || value === 'swarm') return [value];
  if (value === 'both') return ['docker', 'swarm'];
  throw new Error(`--runtime takes docker, swarm or both, not ${value}`);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export const round = (value: number, places = 3) => Math.round(value * 10 ** places) / 10 ** places;

/** Creates the app from an example and deploys it; resolves with the user's repo. */
export async function deployExample(platd: Platd, app: string, example: string): Promise<string> {
  const repo = await exampleRepo(platd, example);
  const created = await platd.plat(['apps:create', app], { cwd: repo });
  if (created.code !== 0) throw new Error(created.output);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  if (push.code !== 0) throw new Error(push.output);
  return repo;
}

export interface BenchPlatd {
  platd: Platd;
  repo: string;
  /** Stops platd and removes what it made; on swarm, its services, and the swarm if the bench made it. */
  destroy(): Promise<void>;
}

/**
 * A platd on `runtime` with the example deployed. On swarm: the Engine's own
 * swarm when it manages one, else a single-node swarm made on loopback for
 * the bench and left afterwards (test/support/swarm.ts); no registry, so the
 * services run on this node.
 */
export async function platdWithApp(
  app: string,
  example = 'flask-hello',
  runtime: BenchRuntime = 'docker',
): Promise<BenchPlatd> {
  let swarm: SingleNodeSwarm | undefined;
  let platd: Platd | undefined;
  // Both always run, as test/swarm.test.ts does: a platd that fails to go must not leave the swarm behind.
  const destroy = async () => {
    const failures: unknown[] = [];
    await platd?.destroy().catch((error: unknown) => failures.push(error));
    await swarm?.cleanup(platd ? [platd.instance] : []).catch((error: unknown) => failures.push(error));
    if (failures.length > 0) throw failures[0];
  };
  try {
    if (runtime === 'swarm') swarm = await withSingleNodeSwarm(`b${randomBytes(4).toString('hex')}`);
    platd = await startPlatd({ env: { PLAT_API_RATE_LIMIT: '0', ...(swarm ? { PLAT_RUNTIME: 'swarm' } : {}) } });
    const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
    if (login.code !== 0) throw new Error(login.output);
    return { platd, repo: await deployExample(platd, app, example), destroy };
  } catch (error) {
    // The start's error is the one to see; a cleanup failure too is only printed.
    await destroy().catch((cleanup: unknown) => console.error(`cleaning up the bench's platd failed: ${cleanup}`));
    throw error;
  }
}

export async function pushChange(platd: Platd, repo: string, text: string): Promise<void> {
  const path = join(repo, 'app.py');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/GREETING = ".*"/, `GREETING = "${text}"`));
  await platd.git(['commit', '-q', '-am', text], repo);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  if (push.code !== 0) throw new Error(push.output);
}

/**
 * Writes one runtime's row into `results/<name>.json` ({ ...common, rows }),
 * keeping the other runtime's row from the file; a file written before rows
 * (one docker result) counts as the docker row.
 */
export function writeRuntimeRow(name: string, common: object, row: { runtime: BenchRuntime }): void {
  const path = join(import.meta.dirname, 'results', `${name}.json`);
  const before = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  const { machine: _m, date: _d, benchmark: _b, target: _t, rows, ...legacy } = before;
  const kept = Array.isArray(rows)
    ? (rows as { runtime: string }[])
    : Object.keys(legacy).length > 0
      ? [{ runtime: 'docker', ...legacy, date: before.date }]
      : [];
  const others = kept.filter((r) => r.runtime !== row.runtime);
  const order = (r: { runtime: string }) => (r.runtime === 'docker' ? 0 : 1);
  const all = [...others, { ...row, date: new Date().toISOString() }].sort((a, b) => order(a) - order(b));
  writeResult(name, { ...common, rows: all });
}

/** One runtime's row of `results/<name>.json` as last written (by this run, when it ran that runtime first). */
export function readRuntimeRow(name: string, runtime: BenchRuntime): Record<string, unknown> | undefined {
  const path = join(import.meta.dirname, 'results', `${name}.json`);
  if (!existsSync(path)) return undefined;
  const { rows } = JSON.parse(readFileSync(path, 'utf8')) as { rows?: Record<string, unknown>[] };
  return rows?.find((row) => row.runtime === runtime);
}

export function writeResult(name: string, result: object): void {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ ...result, machine: '2 cores', date: new Date().toISOString() }, null, 2)}\n`,
  );
}
