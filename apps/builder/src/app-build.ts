import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  PlatError,
  parseProcfile,
  reservedImageLabels,
  reservedImageLabelsMessage,
  type ProcessTypes,
} from '@plat/core';
import { detectBuildpack } from './buildpacks/index.js';
import type { ImageBuilder } from './image-builder.js';
import { presentBuildLine } from './build-output.js';
import { archiveSource, type Source } from './source.js';
import { buildContext, indexSource, type ContextFiles } from './source-archive.js';
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
  /** The Docker network the build runs on (see ImageBuildSpec.network). */
  network?: string;
  timeoutMs?: number;
  emit: (line: string) => void;
  /**
   * Looks at the pushed tree before anything is built (platd reads app.json
   * here on an app's first deploy); may choose the buildpack, or throw to
   * refuse the push with nothing built.
   */
  prepare?: (source: Source) => Promise<{ buildpack?: string } | undefined>;
  /** Called as each phase ends: the source saved and indexed, the buildpack's plan made, the image built. */
  onPhase?: (phase: 'archive' | 'detect' | 'build') => void;
}

export interface AppBuildResult {
  buildpack: string;
  imageId: string;
  processTypes: ProcessTypes;
}

/** A tar ends with two zero blocks (POSIX); a stream cut short, say by a git archive that died, does not. */
const TAR_END = 1024;

/**
 * Saves the pushed tar, refusing it past the size limit or without its end
 * (a tree cut at an entry's boundary would parse, and deploy in part); the
 * file is the only thing written.
 */
export async function saveSource(source: Readable, file: string, maxBytes: number): Promise<void> {
  let total = 0;
  let tail = Buffer.alloc(0);
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      tail = Buffer.concat([tail, chunk.subarray(-TAR_END)]).subarray(-TAR_END);
      if (total > maxBytes) {
        callback(
          new PlatError(
            'payload_too_large',
            `The pushed source is over the ${Math.round(maxBytes / 1024 ** 2)} MB limit (PLAT_MAX_PUSH_MB)`,
          ),
        );
      } else callback(null, chunk);
    },
  });
  await pipeline(source, cap, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  if (tail.length < TAR_END || tail.some((byte) => byte !== 0)) {
    throw new PlatError('build_failed', 'The pushed source arrived cut short (no end of archive): nothing was built');
  }
}

/**
 * Puts the labels right after FROM, so every layer of the build, cached
 * intermediates included, says which platd and app it belongs to and can be
 * found and pruned by label.
 */
export function labelEveryLayer(dockerfile: string, labels: Record<string, string>): string {
  const lines = dockerfile.split('\n');
  const from = lines.findIndex((line) => /^FROM\s/i.test(line));
  const label = `LABEL ${Object.entries(labels)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(' ')}`;
  lines.splice(from + 1, 0, label);
  return lines.join('\n');
}

/**
 * Turns a pushed tree into an image: detect the buildpack, merge its process
 * types with the Procfile, write the planned Dockerfile beside the source and
 * build it on the stack. Nothing is kept but the image.
 */
export async function buildApp(builder: ImageBuilder, request: AppBuildRequest): Promise<AppBuildResult> {
  // A folder only platd can enter, holding one file: the pushed tar, never extracted here.
  const dir = mkdtempSync(join(tmpdir(), 'plat-build-'));
  try {
    const tarFile = join(dir, 'source.tar');
    await saveSource(request.source, tarFile, request.maxSourceBytes);
    const index = await indexSource(createReadStream(tarFile));
    const source = archiveSource(index);
    request.onPhase?.('archive');
    const procfileText = source.read('Procfile');
    const procfile = procfileText === undefined ? {} : parseProcfile(procfileText);
    const chosen = (await request.prepare?.(source))?.buildpack ?? request.buildpack;
    const buildpack = detectBuildpack(source, chosen);
    request.emit(`-----> ${buildpack.label} app ${chosen ? 'set for this app' : 'detected'}`);
    const found = await buildpack.lookup?.(source);
    const plan = buildpack.plan(source, {
      stackImage: STACK_IMAGE,
      caBundle: `${BUILD_DIR}/ca-certificates.crt`,
      buildDir: BUILD_DIR,
      ...found,
    });
    for (const note of plan.notes) request.emit(`       ${note}`);
    const processTypes = { ...plan.processTypes, ...procfile };
    if (Object.keys(processTypes).length === 0) {
      throw new PlatError('build_failed', 'No process types: add a Procfile (e.g. "web: gunicorn app:app")');
    }

    const files: ContextFiles = {
      [`${BUILD_DIR}/Dockerfile`]: { content: labelEveryLayer(plan.dockerfile, request.labels) },
      [`${BUILD_DIR}/ca-certificates.crt`]: { content: readFileSync(HOST_CA_BUNDLE) },
    };
    for (const [name, content] of Object.entries(plan.files ?? {}))
      files[`${BUILD_DIR}/${name}`] = { content, mode: 0o755 };
    // The app's own ignore rules stay, but may not hide the builder's folder.
    if (index.entries.has('.dockerignore')) {
      files['.dockerignore'] = { content: `${source.read('.dockerignore') ?? ''}\n!${BUILD_DIR}\n` };
    }

    request.onPhase?.('detect');
    request.emit('-----> Building image');
    const imageId = await builder.build({
      context: buildContext(tarFile, index, files),
      dockerfile: `${BUILD_DIR}/Dockerfile`,
      tag: request.tag,
      // Also on the final image: a multi-stage Dockerfile's last stage has no labels of its own, and an app's
      // LABEL may override those after FROM. Plat's own plans need not pay for the step.
      ...(plan.generated ? {} : { labels: request.labels }),
      ...(request.memoryBytes ? { memoryBytes: request.memoryBytes } : {}),
      ...(request.network ? { network: request.network } : {}),
      ...(request.timeoutMs ? { timeoutMs: request.timeoutMs } : {}),
      onLine: (raw) => {
        const line = presentBuildLine(raw);
        if (line !== undefined) request.emit(`       ${line}`);
      },
    });
    const labels = await builder.labels(imageId);
    // Pruning and clean-up find images by these labels: an image without them would be left behind.
    const unlabelled = Object.keys(request.labels).filter((key) => labels?.[key] !== request.labels[key]);
    if (unlabelled.length > 0) {
      await builder.untag(request.tag);
      throw new Error(`the ${buildpack.name} buildpack's image lacks the labels ${unlabelled.join(', ')}`);
    }
    // Docker would copy these onto every dyno; the tag goes, so nothing can start from it.
    const reserved = reservedImageLabels(labels);
    if (reserved.length > 0) {
      await builder.untag(request.tag);
      throw new PlatError('build_failed', reservedImageLabelsMessage(reserved));
    }
    request.onPhase?.('build');
    request.emit('-----> Discovering process types');
    request.emit(`       Procfile declares types -> ${Object.keys(procfile).join(', ') || '(none)'}`);
    request.emit(
      `       Default types for ${buildpack.label} -> ${Object.keys(plan.processTypes).join(', ') || '(none)'}`,
    );
    const web = processTypes.web;
    if (web !== undefined) request.emit(`       web: ${web === '' ? "the image's CMD" : web}`);
    return { buildpack: buildpack.name, imageId, processTypes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
