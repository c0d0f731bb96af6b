import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { extract, pack, type Header, type Pack } from 'tar-stream';

type EntryHeader = Partial<Header> & Pick<Header, 'name'>;
/** tar-stream's streams are streamx streams: readable and pipeable like Node's, typed apart. */
type AnyReadable = {
  pipe<T extends NodeJS.WritableStream>(destination: T): T;
  on(event: 'error', listener: (error: Error) => void): unknown;
};
import { PlatError } from '@plat/core';

/**
 * The pushed tree as data. A push arrives as one tar stream (`git archive`);
 * platd indexes it and streams it on to Docker as the build context without
 * ever extracting it on the host, so no pushed name or symlink can make
 * platd (root) read or write a host file. What buildpacks read comes from
 * this index, bounded in size, with symlinks resolved inside the tree only.
 */

export type EntryType = 'file' | 'directory' | 'symlink';

export interface SourceEntry {
  type: EntryType;
  size: number;
  linkname?: string;
  /** Kept for small files near the root, the only ones buildpacks read. */
  content?: Buffer;
}

export interface SourceIndex {
  entries: Map<string, SourceEntry>;
}

export interface IndexLimits {
  /** Largest file whose text platd reads (Procfile, package.json, ...). */
  readBytes: number;
  /** Entries in the tree, a bound on the index's memory. */
  maxEntries: number;
}

export const DEFAULT_LIMITS: IndexLimits = { readBytes: 1024 * 1024, maxEntries: 200_000 };

/** Files at the root or one folder down: where buildpacks look. */
const KEEP_DEPTH = 2;
/** Symlink hops followed while resolving a path inside the tree (Linux allows 40). */
const MAX_HOPS = 40;

const KEPT_TYPES = new Set<string>(['file', 'directory', 'symlink']);

/**
 * The entry's path inside the tree, `/`-separated without `./`, or an error
 * for names that would point outside it. Empty for the tree's root.
 */
export function entryPath(raw: string): string {
  if (raw.includes('\0')) throw unsafe(raw, 'contains a NUL byte');
  if (raw.startsWith('/')) throw unsafe(raw, 'is absolute');
  const parts = raw.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw unsafe(raw, 'climbs out of the tree');
  return parts.join('/');
}

function unsafe(name: string, why: string): PlatError {
  return new PlatError(
    'build_failed',
    `The pushed tree has an entry Plat will not build: ${JSON.stringify(name.slice(0, 200))} ${why}.`,
  );
}

/**
 * Where `path` leads inside the tree, following the tree's own symlinks as
 * the kernel would, or undefined when it leaves the tree (an absolute link,
 * `..` above the root) or loops.
 */
export function resolveInTree(entries: Map<string, SourceEntry>, path: string, hops = 0): string | undefined {
  const parts = path.split('/');
  const resolved: string[] = [];
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index]!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (resolved.length === 0) return undefined;
      resolved.pop();
      continue;
    }
    resolved.push(part);
    const entry = entries.get(resolved.join('/'));
    if (entry?.type !== 'symlink') continue;
    const target = entry.linkname ?? '';
    if (target.startsWith('/') || hops >= MAX_HOPS) return undefined;
    resolved.pop();
    return resolveInTree(entries, [...resolved, target, ...parts.slice(index + 1)].join('/'), hops + 1);
  }
  return resolved.join('/');
}

/**
 * Reads a tar of the pushed tree into an index: every entry's name is checked
 * (no absolute or `..` names, no name twice), only files, folders and
 * symlinks are kept, and the text of small files near the root is held for
 * the buildpacks. Anything else in the tar is refused or dropped.
 */
export async function indexSource(tar: Readable, limits: IndexLimits = DEFAULT_LIMITS): Promise<SourceIndex> {
  const entries = new Map<string, SourceEntry>();
  const reader = extract();
  // The first refusal wins; the rest of the tar is only drained (it is a local file, already size-bounded).
  let refusal: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    reader.on('finish', resolve);
    reader.on('error', reject);
    tar.on('error', reject);
  });
  reader.on('entry', (header, stream, next) => {
    const skip = (error?: Error) => {
      refusal ??= error;
      stream.on('end', () => next());
      stream.resume();
    };
    if (refusal || !KEPT_TYPES.has(header.type ?? '')) return skip();
    let path: string;
    try {
      path = entryPath(header.name);
    } catch (error) {
      return skip(error as Error);
    }
    if (path === '') return skip();
    if (entries.has(path)) return skip(unsafe(header.name, 'appears twice'));
    if (entries.size >= limits.maxEntries) {
      return skip(new PlatError('build_failed', `The pushed tree has over ${limits.maxEntries} entries.`));
    }
    const entry: SourceEntry = { type: header.type as EntryType, size: header.size ?? 0 };
    if (header.type === 'symlink') entry.linkname = header.linkname ?? '';
    entries.set(path, entry);
    const keep = entry.type === 'file' && path.split('/').length <= KEEP_DEPTH && entry.size <= limits.readBytes;
    if (!keep) return skip();
    const chunks: Buffer[] = [];
    stream.on('data', (chunk) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      entry.content = Buffer.concat(chunks);
      next();
    });
  });
  tar.pipe(reader as unknown as NodeJS.WritableStream);
  try {
    await done;
  } finally {
    tar.destroy();
  }
  if (refusal) throw refusal;
  return { entries };
}

/** Overrides of the pushed tree in the build context: the builder's own files. */
export type ContextFiles = Record<string, { content: string | Buffer; mode?: number }>;

function addEntry(out: Pack, header: EntryHeader, content?: AnyReadable | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error | null) => (error ? reject(error) : resolve());
    if (content === undefined) {
      out.entry(header, done);
      return;
    }
    if (Buffer.isBuffer(content)) {
      out.entry(header, content, done);
      return;
    }
    content.on('error', reject);
    content.pipe(out.entry(header, done) as unknown as NodeJS.WritableStream);
  });
}

/**
 * The Docker build context: the pushed tree as the index accepted it (read
 * again from the saved tar), minus any path the builder writes itself, plus
 * the builder's files. Docker extracts it inside its own root; nothing here
 * touches the host's file system but the saved tar.
 */
export function buildContext(tarFile: string, index: SourceIndex, files: ContextFiles): Readable {
  const out = pack();
  const reader = extract();
  // A pushed entry at a path the builder writes, or under one of its folders, is left out whole.
  const ownedRoots = new Set(Object.keys(files).map((name) => name.split('/')[0]!));
  const owned = (path: string) => ownedRoots.has(path.split('/')[0]!);
  reader.on('entry', (header, stream, next) => {
    const path = KEPT_TYPES.has(header.type ?? '') ? safePath(header.name) : undefined;
    const entry = path ? index.entries.get(path) : undefined;
    if (!path || !entry || entry.type !== header.type || owned(path)) {
      stream.on('end', () => next());
      stream.resume();
      return;
    }
    const base = {
      name: path,
      mode: (header.mode ?? 0o644) & 0o777,
      mtime: header.mtime ?? new Date(0),
      uid: 0,
      gid: 0,
    };
    const added =
      entry.type === 'file'
        ? addEntry(out, { ...base, type: 'file', size: header.size ?? 0 }, stream)
        : addEntry(out, {
            ...base,
            type: entry.type,
            ...(entry.linkname !== undefined ? { linkname: entry.linkname } : {}),
          });
    if (entry.type !== 'file') stream.resume();
    added.then(
      () => next(),
      (error: Error) => reader.destroy(error),
    );
  });
  reader.on('finish', () => {
    void (async () => {
      const dirs = new Set<string>();
      for (const name of Object.keys(files)) {
        for (let dir = posix.dirname(name); dir !== '.' && !dirs.has(dir); dir = posix.dirname(dir)) dirs.add(dir);
      }
      for (const dir of [...dirs].sort())
        await addEntry(out, { name: dir, type: 'directory', mode: 0o755, mtime: new Date(0) });
      for (const [name, file] of Object.entries(files)) {
        const content = Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content);
        await addEntry(
          out,
          { name, type: 'file', mode: file.mode ?? 0o644, size: content.length, mtime: new Date(0) },
          content,
        );
      }
      out.finalize();
    })().catch((error: Error) => out.destroy(error));
  });
  const file = createReadStream(tarFile);
  reader.on('error', (error) => out.destroy(error));
  // However the build ends (Docker refusing it before reading, say), the saved tar is closed.
  out.on('close', () => file.destroy());
  file.on('error', (error) => reader.destroy(error)).pipe(reader as unknown as NodeJS.WritableStream);
  return out as unknown as Readable;
}

function safePath(name: string): string | undefined {
  try {
    return entryPath(name) || undefined;
  } catch {
    return undefined;
  }
}
