import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runHost } from '@plat/core/host-process';

/** The hooks every app repo runs, by core.hooksPath: nothing is copied into repos. */
export const HOOKS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../hooks');

export function repoPath(reposDir: string, app: string): string {
  return join(reposDir, `${app}.git`);
}

/** Runs git to its end and resolves with what it printed; rejects with its stderr when it fails. */
export async function runGit(args: string[], options: { cwd?: string } = {}): Promise<string> {
  const result = await runHost('git', args, options);
  if (result.code !== 0) throw new Error(`git ${args[0]} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * git's own checks on every push, as `-c` options so repositories made by
 * older platds get them too: objects are fsck'd (no malformed trees, no
 * duplicate or `..` entries, no `.git` names), and a pack larger than the
 * limit is refused by git before anything is stored, whatever the ref.
 * Housekeeping waits until the push has its answer.
 */
export function receiveChecks(maxPushBytes: number): string[] {
  return [
    '-c',
    'receive.fsckObjects=true',
    '-c',
    'transfer.fsckObjects=true',
    '-c',
    `receive.maxInputSize=${maxPushBytes}`,
    // receive-pack would run `git gc --auto` before answering, and the pusher would wait for it: see tidyLater.
    '-c',
    'receive.autoGc=false',
  ];
}

/** The `git gc --auto` that receive-pack no longer runs, once the push has had its answer; nobody waits for it. */
export function tidyLater(path: string): void {
  const gc = spawn('git', ['--git-dir', path, 'gc', '--auto', '--quiet'], { stdio: 'ignore' });
  gc.on('error', () => {});
}

/** Creates the app's bare repository when missing; idempotent. */
export async function ensureRepository(reposDir: string, app: string): Promise<string> {
  const path = repoPath(reposDir, app);
  if (existsSync(join(path, 'HEAD'))) return path;
  mkdirSync(reposDir, { recursive: true });
  await runGit(['init', '--bare', '--quiet', '--initial-branch=main', path]);
  return path;
}

export function removeRepository(reposDir: string, app: string): void {
  rmSync(repoPath(reposDir, app), { recursive: true, force: true });
}

/** The commit a branch of the app's repository points at, or undefined when it has none. */
export async function branchHead(reposDir: string, app: string, ref: string): Promise<string | undefined> {
  try {
    const args = ['--git-dir', repoPath(reposDir, app), 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`];
    return (await runGit(args)).trim() || undefined;
  } catch {
    return undefined;
  }
}
