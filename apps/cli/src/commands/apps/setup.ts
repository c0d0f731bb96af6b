import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { PlatError, type AppSetup } from '@plat/core';
import type { CommandContext } from '../../context.js';
import { configureRemote, isGitRepo, REMOTE } from '../../git-remote.js';
import { parseAssignments } from '../config/set.js';

export interface SetupOptions {
  name?: string;
  env?: string[];
  json?: boolean;
}

/** Runs git with an argument array, its output line by line to `onLine`; resolves with the exit code. */
function git(args: string[], cwd: string, onLine: (line: string) => void): Promise<number> {
  return new Promise((done, fail) => {
    const child = spawn('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', onLine);
    child.on('error', fail);
    child.on('close', (code) => done(code ?? 1));
  });
}

async function gitOk(args: string[], cwd: string): Promise<string> {
  const lines: string[] = [];
  const code = await git(args, cwd, (line) => lines.push(line));
  if (code !== 0) throw new PlatError('invalid_params', `git ${args[0]} failed: ${lines.slice(-3).join(' ')}`);
  return lines.join('\n');
}

/** A tarball's tree, unpacked in a temporary folder; a single top folder (GitHub's archives) is the app's root. */
async function unpack(file: string, into: string): Promise<string> {
  mkdirSync(into);
  const code = await new Promise<number>((done, fail) => {
    const child = spawn('tar', ['-xf', file, '-C', into, '--no-same-owner', '--no-same-permissions'], {
      stdio: 'ignore',
    });
    child.on('error', fail);
    child.on('close', (status) => done(status ?? 1));
  });
  if (code !== 0) throw new PlatError('invalid_params', `${file} is not a tarball tar can read.`);
  const top = readdirSync(into);
  return top.length === 1 && statSync(join(into, top[0]!)).isDirectory() ? join(into, top[0]!) : into;
}

function readManifest(text: string | undefined, where: string): string {
  if (text === undefined) throw new PlatError('invalid_params', `No app.json in ${where}: apps:setup needs one.`);
  return text;
}

/**
 * `plat apps:setup DIR|TARBALL`: Heroku's app-setups from the command line.
 * platd makes the app from the tree's app.json (a missing required var is
 * refused before the app exists), then the tree is pushed as any push is:
 * a git repo's HEAD to its new `platform` remote, or a folder or tarball as
 * one commit of a temporary repo. The first push applies nothing again;
 * it builds, releases and runs app.json's postdeploy.
 */
export async function setupApp(source: string, options: SetupOptions, context: CommandContext): Promise<void> {
  const path = resolve(context.cwd, source);
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new PlatError('invalid_params', `${source}: no such folder or tarball.`);
  const scratch = mkdtempSync(join(tmpdir(), 'plat-setup-'));
  try {
    const repo = stat.isDirectory() && (await isRepoRoot(path)) ? path : undefined;
    let root = path;
    let manifest: string;
    if (repo) {
      const text = await gitOk(['show', 'HEAD:app.json'], repo).catch(() => undefined);
      manifest = readManifest(text, `${source} (HEAD)`);
    } else {
      if (!stat.isDirectory()) root = await unpack(path, join(scratch, 'tree'));
      manifest = readManifest(readIfFile(join(root, 'app.json')), source);
    }
    const client = context.client();
    const env = options.env?.length ? parseAssignments(options.env) : undefined;
    const setup = await client.appSetups.create({
      manifest,
      ...(options.name ? { name: options.name } : {}),
      ...(env ? { env } : {}),
    });
    report(setup, context);
    const cwd = repo ?? (await scratchRepo(root, join(scratch, 'repo')));
    await configureRemote(cwd, setup.app.git_url, context.env);
    context.output.err(`Pushing ${repo ? `${source} (HEAD)` : source} to ${setup.app.name}...`);
    const code = await git(['push', REMOTE, 'HEAD:refs/heads/main'], cwd, (line) => context.output.err(line));
    if (code !== 0) {
      const again = repo ? `git push ${REMOTE} main` : `plat git:remote -a ${setup.app.name}, then git push`;
      throw new PlatError(
        'build_failed',
        `The push to ${setup.app.name} failed; the app is there with its config and add-ons: ` +
          `fix the code, then push again (${again}).`,
      );
    }
    if (options.json) context.output.out(JSON.stringify(setup, null, 2));
    else context.output.out(`${setup.app.name} is set up: ${setup.app.web_url}`);
    if (repo) context.output.out(`Git remote ${REMOTE} added: git push ${REMOTE} main`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** A folder that is a git work tree's top (a folder inside one is pushed as a tree of its own). */
async function isRepoRoot(path: string): Promise<boolean> {
  if (!(await isGitRepo(path))) return false;
  const top = await gitOk(['rev-parse', '--show-toplevel'], path).catch(() => '');
  return top !== '' && realpathSync(top) === realpathSync(path);
}

function readIfFile(file: string): string | undefined {
  const stat = statSync(file, { throwIfNoEntry: false });
  return stat?.isFile() ? readFileSync(file, 'utf8') : undefined;
}

/** A repo beside the tree whose one commit is the tree as it is (its .gitignore applies). */
async function scratchRepo(root: string, dir: string): Promise<string> {
  await gitOk(['init', '-q', dir], tmpdir());
  await gitOk(['--work-tree', root, 'add', '-A'], dir);
  await gitOk(
    [
      '-c',
      'user.name=plat',
      '-c',
      'user.email=plat@localhost',
      '--work-tree',
      root,
      'commit',
      '-qm',
      'plat apps:setup',
    ],
    dir,
  );
  return dir;
}

function report(setup: AppSetup, context: CommandContext): void {
  for (const warning of setup.warnings) context.output.err(`warning: ${warning}`);
  context.output.err(`Created ${setup.app.name} from app.json`);
  if (setup.postdeploy) context.output.err(`postdeploy runs after the first release: ${setup.postdeploy}`);
}

/** `plat apps:create --manifest app.json`: the app with its app.json applied; code comes with the first push. */
export async function createFromManifest(
  name: string | undefined,
  file: string,
  env: string[] | undefined,
  context: CommandContext,
): Promise<AppSetup> {
  const manifest = readIfFile(resolve(context.cwd, file));
  if (manifest === undefined) throw new PlatError('invalid_params', `${file}: no such file.`);
  const given = env?.length ? parseAssignments(env) : undefined;
  const setup = await context.client().appSetups.create({
    manifest,
    ...(name ? { name } : {}),
    ...(given ? { env: given } : {}),
  });
  report(setup, context);
  return setup;
}
