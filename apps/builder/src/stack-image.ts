import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_LABELS, STACK_BASE_REPO, STACK_IMAGE, stackBaseImage } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import type { ImageBuilder } from './image-builder.js';

export { STACK_IMAGE };
export const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** infra/stack in this checkout: the recipe whose hash names the image. */
export const STACK_RECIPE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../infra/stack');

export interface StackOptions {
  recipeDir?: string;
  mirror?: string;
  suite?: string;
  log?: (line: string) => void;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((path) => statSync(join(dir, path)).isFile())
    .sort();
}

/** Hash of everything the stack image is made from; a changed recipe rebuilds. */
export function stackRecipeHash(options: {
  recipeDir: string;
  mirror: string;
  suite: string;
  caBundle?: string;
}): string {
  const hash = createHash('sha256');
  hash.update(`debootstrap minbase ${options.suite} ${options.mirror}\n`);
  for (const file of listFiles(options.recipeDir)) {
    hash.update(`${file}\n`);
    hash.update(readFileSync(join(options.recipeDir, file)));
  }
  if (options.caBundle) hash.update(readFileSync(options.caBundle));
  return hash.digest('hex').slice(0, 16);
}

/** Runs a program to its end; when it fails, the tail of its output goes to the log. */
async function run(command: string, args: string[], log: (line: string) => void): Promise<void> {
  const { code, output } = await runHost(command, args, { tailChars: 4000 });
  if (code === 0) return;
  log(output);
  throw new Error(`${command} exited with ${code}`);
}

/**
 * Makes sure `plat/stack:latest` exists and matches the recipe. Reuses it in
 * seconds when the recipe is unchanged; otherwise debootstraps a base (also
 * reused by hash) and builds the recipe's Dockerfile on top.
 */
export async function ensureStackImage(
  builder: ImageBuilder,
  options: StackOptions = {},
): Promise<{ built: boolean; recipe: string }> {
  const recipeDir = options.recipeDir ?? STACK_RECIPE_DIR;
  const mirror = options.mirror ?? 'http://deb.debian.org/debian';
  const suite = options.suite ?? 'bookworm';
  const log = options.log ?? ((line: string) => console.log(line));
  const recipe = stackRecipeHash({ recipeDir, mirror, suite, caBundle: HOST_CA_BUNDLE });
  const current = await builder.labels(STACK_IMAGE);
  if (current?.[IMAGE_LABELS.stackRecipe] === recipe) return { built: false, recipe };

  const baseTag = createHash('sha256').update(`${suite} ${mirror}`).digest('hex').slice(0, 12);
  const baseImage = stackBaseImage(baseTag);
  if (!(await builder.labels(baseImage))) {
    const rootfs = mkdtempSync(join(tmpdir(), 'plat-rootfs-'));
    try {
      log(`-----> Bootstrapping Debian ${suite} (minbase) for the stack image`);
      await run('debootstrap', ['--variant=minbase', suite, rootfs, mirror], log);
      log('-----> Importing the root filesystem');
      const tar = spawn('tar', ['--numeric-owner', '-C', rootfs, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await builder.importRootfs(tar.stdout, STACK_BASE_REPO, baseTag);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  }

  log(`-----> Building ${STACK_IMAGE} (recipe ${recipe})`);
  const context = mkdtempSync(join(tmpdir(), 'plat-stack-'));
  try {
    cpSync(recipeDir, context, { recursive: true });
    await builder.build({
      contextDir: context,
      dockerfile: 'Dockerfile',
      tag: STACK_IMAGE,
      labels: { [IMAGE_LABELS.stackRecipe]: recipe },
      buildArgs: { BASE: baseImage },
      // Plat's own recipe, not a tenant's: its output is not capped.
      maxOutputBytes: Number.POSITIVE_INFINITY,
      onLine: (line) => log(`       ${line}`),
    });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return { built: true, recipe };
}
