import { PlatError } from '@plat/core';
import {
  DEFAULT_LIMITS,
  resolveInTree,
  type IndexLimits,
  type SourceEntry,
  type SourceIndex,
} from './source-archive.js';

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

/**
 * A Source over the pushed tree's index. Paths resolve through the tree's own
 * symlinks; one that leads out of the tree, or a file too large to read, is
 * a clear build failure rather than a read of anything on the host.
 */
export function archiveSource(index: SourceIndex, limits: IndexLimits = DEFAULT_LIMITS): Source {
  const regularFile = (path: string): SourceEntry | undefined => {
    const target = resolveInTree(index.entries, path);
    if (target === undefined) {
      throw new PlatError(
        'build_failed',
        `${path} is a symbolic link that leads out of the app's tree: Plat does not follow it.`,
      );
    }
    const entry = index.entries.get(target);
    return entry?.type === 'file' ? entry : undefined;
  };
  return {
    has: (path) => index.entries.has(path) && regularFile(path) !== undefined,
    read: (path) => {
      if (!index.entries.has(path)) return undefined;
      const entry = regularFile(path);
      if (!entry) return undefined;
      if (entry.size > limits.readBytes) {
        throw new PlatError(
          'build_failed',
          `${path} is over ${Math.round(limits.readBytes / 1024)} KB: ` +
            'Plat reads it to plan the build and keeps it small.',
        );
      }
      if (entry.content === undefined) {
        // Only files near the root are kept; a link may point deeper.
        throw new PlatError(
          'build_failed',
          `${path} links to ${resolveInTree(index.entries, path)}, deeper in the tree than Plat reads: ` +
            `put the file itself at ${path}.`,
        );
      }
      return entry.content.toString('utf8');
    },
    files: () =>
      [...index.entries]
        .filter(([, entry]) => entry.type === 'file')
        .map(([path]) => path)
        .sort(),
  };
}
