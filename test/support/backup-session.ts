import { join } from 'node:path';
import type Docker from 'dockerode';
import { ROOT, type Platd } from './platd.js';
import { run, type RunResult } from './run.js';

/** SQL piped into `plat pg:psql [ADDON] -a APP`, as a user would; fails unless psql exits 0. */
export async function pipePsql(
  platd: Platd,
  options: { app: string; addon?: string; text: string; timeoutMs?: number },
): Promise<RunResult> {
  const args = [join(ROOT, 'apps/cli/bin/plat.js'), 'pg:psql', ...(options.addon ? [options.addon] : [])];
  const result = await run(process.execPath, [...args, '-a', options.app], {
    env: platd.userEnv,
    timeoutMs: options.timeoutMs ?? 60_000,
    input: options.text,
  });
  if (result.code !== 0) throw new Error(`psql exited ${result.code}: ${result.output}`);
  return result;
}

/** Containers (and networks, of checks before they ran with none) of a platd's backup checks. */
export async function listScratch(docker: Docker, instance: string): Promise<string[]> {
  const filters = { label: [`plat.instance=${instance}`, 'plat.backup-check'] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  return [...containers.map((c) => c.Names[0]!), ...networks.map((n) => n.Name)];
}
