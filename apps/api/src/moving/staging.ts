import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { PlatError } from '@plat/core';
import {
  type ArchiveHeader,
  type ArchiveManifest,
  checkHeader,
  compareManifest,
  type EntrySum,
  entryLimit,
  HEADER_ENTRY,
  MANIFEST_ENTRY,
  stagedName,
} from './format.js';

/**
 * The first half of `plat admin:import`: the uploaded tar is read once, as
 * it arrives, into one file per entry in a staging folder, each hashed on
 * the way; nothing else is touched. Only an archive whose every entry is
 * named as format.ts allows, is a regular file within its size, and matches
 * the manifest's size and sha256, comes out of here.
 */

export interface StagedArchive {
  manifest: ArchiveManifest;
  /** The staged file of an entry (by its archive name), when the archive had it. */
  file(name: string): string | undefined;
}

function refuse(why: string): PlatError {
  return new PlatError('invalid_params', `The archive is refused (${why}); nothing was changed.`);
}

/**
 * Stages and verifies the archive from `source`. `onHeader` runs as soon as
 * the first entry is read (to refuse a clash before gigabytes arrive): what
 * it throws is the answer, once the rest of the upload has been drained.
 */
export async function stageArchive(
  source: Readable,
  dir: string,
  options: { maxBytes: number; onHeader: (header: ArchiveHeader) => Promise<void> },
): Promise<StagedArchive> {
  let total = 0;
  let refusal: Error | undefined;
  const cap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      if (total > options.maxBytes)
        return callback(
          new PlatError(
            'payload_too_large',
            `The archive is larger than this platd takes (PLAT_IMPORT_MAX_BYTES, ${options.maxBytes} bytes): ` +
              'nothing was changed.',
          ),
        );
      callback(null, chunk);
    },
  });
  const read: EntrySum[] = [];
  const staged = new Map<string, string>();
  let header: ArchiveHeader | undefined;
  let manifestText: string | undefined;
  let current = '';
  /** The entry's staged file while it is written: closed when the upload fails, so no descriptor is left open. */
  let writing: ReturnType<typeof createWriteStream> | undefined;
  const reader = extract();

  const small = (stream: Readable, limit: number): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= limit) chunks.push(chunk);
      });
      stream.on('end', () => resolve(Buffer.concat(chunks)));
      stream.on('error', reject);
    });

  reader.on('entry', (entry, stream, next) => {
    // A cut archive errors the entry's stream too: the reader's own error is the one reported.
    stream.on('error', () => undefined);
    const skip = (error?: Error) => {
      refusal ??= error;
      stream.on('end', () => next()).resume();
    };
    if (refusal) return skip();
    const name = entry.name;
    current = name;
    if (manifestText !== undefined) return skip(refuse(`${name} comes after the manifest, which must be last`));
    if (entry.type !== 'file') return skip(refuse(`${JSON.stringify(name)} is a ${entry.type}, not a file`));
    const limit = entryLimit(name);
    if (limit === undefined) return skip(refuse(`unexpected entry ${JSON.stringify(name.slice(0, 100))}`));
    if ((entry.size ?? 0) > limit) return skip(refuse(`${name} is larger than such an entry can be`));
    if (staged.has(name) || (name === HEADER_ENTRY && read.length > 0)) return skip(refuse(`${name} appears twice`));
    if (read.length === 0 && name !== HEADER_ENTRY) return skip(refuse(`it does not start with ${HEADER_ENTRY}`));
    if (name === MANIFEST_ENTRY) {
      small(stream as unknown as Readable, 16 * 1024 ** 2).then((data) => {
        manifestText = data.toString();
        next();
      }, next);
      return;
    }
    const hash = createHash('sha256');
    let size = 0;
    const path = join(dir, stagedName(name));
    const file = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    writing = file;
    stream.on('data', (chunk) => {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    });
    file.on('error', (error) => reader.destroy(error));
    stream.on('error', () => file.destroy());
    file.on('finish', () => {
      writing = undefined;
      staged.set(name, path);
      read.push({ name, size, sha256: hash.digest('hex') });
      if (name !== HEADER_ENTRY) return next();
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(path, 'utf8'));
        header = checkHeader(parsed);
      } catch (error) {
        refusal ??=
          error instanceof PlatError ? error : refuse(`its header is not valid JSON: ${(error as Error).message}`);
        return next();
      }
      options.onHeader(header).then(
        () => next(),
        (error: Error) => {
          refusal ??= error;
          next();
        },
      );
    });
    stream.pipe(file as unknown as NodeJS.WritableStream);
  });

  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      // Stop reading: the rest of the upload is drained unread (so the answer reaches the client),
      // the tar reader and the entry's file are closed.
      source.unpipe(cap);
      source.resume();
      cap.destroy();
      reader.destroy();
      writing?.destroy();
      // A refusal found first (a clash named by onHeader) stays the answer, not the size the drain reached.
      if (refusal) return reject(refusal);
      if (error instanceof PlatError) return reject(error);
      if (/unexpected end|premature|aborted/i.test(error.message))
        return reject(refuse(`it is truncated: it ends inside ${current || 'its first entry'}`));
      reject(refuse(`it is not a readable tar: ${error.message}`));
    };
    reader.on('finish', () => resolve());
    reader.on('error', fail);
    cap.on('error', fail);
    source.on('error', (error) => fail(new Error(`the upload was cut short (unexpected end): ${error.message}`)));
    source.on('aborted', () => fail(new Error('the upload was aborted')));
    source.pipe(cap).pipe(reader as unknown as NodeJS.WritableStream);
  });
  if (refusal) throw refusal;
  if (!header) throw refuse(`it has no ${HEADER_ENTRY}: it is not a Plat export`);
  if (manifestText === undefined) throw refuse(`it has no ${MANIFEST_ENTRY} at its end: it is truncated`);
  let manifestValue: unknown;
  try {
    manifestValue = JSON.parse(manifestText);
  } catch {
    throw refuse('its manifest is not valid JSON');
  }
  const { manifest, problem } = compareManifest(header, manifestValue, read);
  if (!manifest) throw refuse(problem ?? 'its manifest does not match');
  return { manifest, file: (name) => staged.get(name) };
}
