import { readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';

/**
 * What a buildpack may look at: the pushed tree, read-only. Buildpacks see
 * only this interface, so detection and planning are pure and testable with
 * an in-memory tree.
 */
export interface Source {
  /** True when the path (relative, `/`-separated) names a regular file. */
  has(path: string): boolean;
  /** The file's text, or undefined when it is missing. */
  read(path: string): string | undefined;
  /** Relative paths of every regular file, `/`-separated. */
  files(): string[];
}

export function memorySource(files: Record<string, string>): Source {
  return {
    has: (path) => Object.hasOwn(files, path),
    read: (path) => (Object.hasOwn(files, path) ? files[path] : undefined),
    files: () => Object.keys(files).sort(),
  };
}

/** A Source over an extracted build directory; `list` is the extracted file list. */
export function directorySource(dir: string, list: string[]): Source {
  const known = new Set(list);
  const inside = (path: string) => {
    const clean = normalize(path);
    if (clean.startsWith('..') || clean.startsWith('/')) return undefined;
    return join(dir, clean);
  };
  return {
    has: (path) => known.has(path),
    read: (path) => {
      const full = inside(path);
      if (!full || !known.has(path)) return undefined;
      // Cap what detection reads: no buildpack needs a multi-megabyte file.
      if (statSync(full).size > 1024 * 1024) return undefined;
      return readFileSync(full, 'utf8');
    },
    files: () => [...known].sort(),
  };
}
