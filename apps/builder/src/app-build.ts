import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-fs';
import { PlatError, parseProcfile, type ProcessTypes } from '@plat/core';
import { detectBuildpack } from './buildpacks/index.js';
import type { ImageBuilder } from './image-builder.js';
import { presentBuildLine } from './build-output.js';
import { directorySource } from './source.js';
import { HOST_CA_BUNDLE, STACK_IMAGE } from './stack-image.js';

/** Files the builder adds to the context, in a folder no app is likely to use. */
const BUILD_DIR = '.plat-build';

export interface AppBuildRequest {
  /** `git archive` of the pushed commit. */
  source: Readable;
  /** Image tag to build, e.g. `plat/abc-hello:3f2a1b`. */
  tag: string;
  /** Labels every layer carries; keep them stable across builds or the cache never hits. */
  labels: Record<string, string>;
  /** The app's chosen buildpack (plat buildpacks:set); detection otherwise. */
  buildpack?: string | null;
  /** Refuse sources larger than this many bytes (uncompressed tar). */
  maxSourceBytes: number;
  memoryBytes?: number;
  timeoutMs?: number;
  emit: (line: string) => void;
}

export interface AppBuildResult {
  buildpack: string;
  imageId: string;
  processTypes: ProcessTypes;
}

async function extractSource(source: Readable, dir: string, maxBytes: number): Promise<string[]> {
  const files: string[] = [];
  let total = 0;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      if (total > maxBytes) {
        callback(new PlatError('payload_too_large', `The pushed source is over the ${Math.round(maxBytes / 1024 ** 2)} MB limit`));
      } else callback(null, chunk);
    },
  });
  await pipeline(
    source,
    cap,
    extract(dir, {
      map: (header) => {
        if (header.type === 'file') files.push(header.name.replace(/^\.\//, ''));
        return header;
      },
      // Symlinks are kept as links inside the tree (the Docker context never
      // follows them); hard links and devices have no place in a source tree.
      ignore: (_name, header) => header !== undefined && !['file', 'directory', 'symlink'].includes(header.type),
    }),
  );
  return files;
}

/**
 * Puts the labels right after FROM, so every layer of the build, cached
 * intermediates included, says which platd and app it belongs to and can be
 * found and pruned by label.
 */
export function labelEveryLayer(dockerfile: string, labels: Record<string, string>): string {
  const lines = dockerfile.split('\n');
  const from = lines.findIndex((line) => /^FROM\s/i.test(line));
  const label = `LABEL ${Object.entries(labels).map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ')}`;
  lines.splice(from + 1, 0, label);
  return lines.join('\n');
}

/**
 * Turns a pushed tree into an image: detect the buildpack, merge its process
 * types with the Procfile, write the planned Dockerfile beside the source and
 * build it on the stack. Nothing is kept but the image.
 */
export async function buildApp(builder: ImageBuilder, request: AppBuildRequest): Promise<AppBuildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'plat-build-'));
  try {
    const files = await extractSource(request.source, dir, request.maxSourceBytes);
    const source = directorySource(dir, files);
    const procfileText = source.read('Procfile');
    const procfile = procfileText === undefined ? {} : parseProcfile(procfileText);
    const buildpack = detectBuildpack(source, request.buildpack);
    request.emit(`-----> ${buildpack.label} app ${request.buildpack ? 'set for this app' : 'detected'}`);
    const plan = buildpack.plan(source, { stackImage: STACK_IMAGE, caBundle: `${BUILD_DIR}/ca-certificates.crt`, buildDir: BUILD_DIR });
    for (const note of plan.notes) request.emit(`       ${note}`);
    const processTypes = { ...plan.processTypes, ...procfile };
    if (Object.keys(processTypes).length === 0) {
      throw new PlatError('build_failed', 'No process types: add a Procfile (e.g. "web: gunicorn app:app")');
    }

    mkdirSync(join(dir, BUILD_DIR), { recursive: true });
    writeFileSync(join(dir, BUILD_DIR, 'Dockerfile'), labelEveryLayer(plan.dockerfile, request.labels));
    writeFileSync(join(dir, BUILD_DIR, 'ca-certificates.crt'), readFileSync(HOST_CA_BUNDLE));
    for (const [name, content] of Object.entries(plan.files ?? {})) writeFileSync(join(dir, BUILD_DIR, name), content, { mode: 0o755 });
    const dockerignore = join(dir, '.dockerignore');
    if (existsSync(dockerignore)) appendFileSync(dockerignore, `\n!${BUILD_DIR}\n`);

    request.emit('-----> Building image');
    const imageId = await builder.build({
      contextDir: dir,
      dockerfile: `${BUILD_DIR}/Dockerfile`,
      tag: request.tag,
      // Also on the final image: a multi-stage Dockerfile's last stage has no labels of its own.
      labels: request.labels,
      ...(request.memoryBytes ? { memoryBytes: request.memoryBytes } : {}),
      ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}),
      onLine: (raw) => {
        const line = presentBuildLine(raw);
        if (line !== undefined) request.emit(`       ${line}`);
      },
    });
    request.emit('-----> Discovering process types');
    request.emit(`       Procfile declares types -> ${Object.keys(procfile).join(', ') || '(none)'}`);
    request.emit(`       Default types for ${buildpack.label} -> ${Object.keys(plan.processTypes).join(', ') || '(none)'}`);
    const web = processTypes.web;
    if (web !== undefined) request.emit(`       web: ${web === '' ? "the image's CMD" : web}`);
    return { buildpack: buildpack.name, imageId, processTypes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
