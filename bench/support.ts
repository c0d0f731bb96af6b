/** What the benchmarks share: a real platd with one deployed example, and result files. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleRepo } from '../test/support/app-repo.js';
import { startPlatd, type Platd } from '../test/support/platd.js';

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

export async function platdWithApp(app: string, example = 'flask-hello'): Promise<{ platd: Platd; repo: string }> {
  const platd = await startPlatd({ env: { PLAT_API_RATE_LIMIT: '0' } });
  try {
    const login = await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken]);
    if (login.code !== 0) throw new Error(login.output);
    return { platd, repo: await deployExample(platd, app, example) };
  } catch (error) {
    await platd.destroy();
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

export function writeResult(name: string, result: object): void {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ ...result, machine: '2 cores', date: new Date().toISOString() }, null, 2)}\n`,
  );
}
