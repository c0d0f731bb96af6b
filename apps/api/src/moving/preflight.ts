import { existsSync, statfsSync } from 'node:fs';
import { repoPath } from '@plat/builder';
import { PlatError } from '@plat/core';
import { resolvePlan } from '../addons/registry.js';
import type { Platform } from '../platform.js';
import { dockerDisk } from '../services/disk.js';
import { listAppNames } from '../store/apps.js';
import { knownMigrations, unknownMigrations } from '../store/migrate.js';
import { type ArchiveHeader, bytesToApply, entryNames } from './format.js';
import { checkAppImages } from './images.js';
import type { StagedArchive } from './staging.js';

/**
 * The checks of `plat admin:import` before it changes anything: the bound
 * on the upload, the target Plat (no apps, no repositories of the archive's
 * apps, an older or equal schema), and once staged, room, Docker and images.
 */

/** PLAT_IMPORT_MAX_BYTES: the largest archive taken (256 GiB unless set), and never more than the disk has free. */
export function maxImportBytes(platform: Platform): number {
  const text = process.env.PLAT_IMPORT_MAX_BYTES ?? '';
  // Read here, not at start: only an import needs it; a value that is not a number keeps the default.
  const setting = /^\d+$/.test(text) ? Number(text) : 256 * 1024 ** 3;
  const disk = statfsSync(platform.settings.dataDir);
  const free = disk.bavail * disk.bsize;
  // Staged entries, then images in Docker and add-on data in volumes: keep a margin.
  return Math.max(0, Math.min(setting, free - 1024 ** 3));
}

export async function checkTarget(
  platform: Platform,
  header: ArchiveHeader,
  options: { repos?: boolean } = {},
): Promise<void> {
  const present = await listAppNames(platform.sql);
  if (present.length > 0) {
    const clashes = header.apps.map((app) => app.name).filter((name) => present.includes(name));
    throw new PlatError(
      'conflict',
      `This Plat already has ${present.length} app(s) (${present.slice(0, 10).join(', ')}); ` +
        (clashes.length > 0
          ? `the archive's ${clashes.join(', ')} clash with them. `
          : 'none clash by name, but an import replaces the whole state. ') +
        'Import into a freshly started Plat; nothing was changed.',
    );
  }
  const newer = unknownMigrations(knownMigrations(), header.migrations);
  if (newer.length > 0)
    throw new PlatError(
      'conflict',
      `The archive was made by a newer Plat (it has ${newer.join(', ')}): ` +
        'import it with that version; nothing was changed.',
    );
  for (const app of header.apps) {
    for (const addon of app.addons) {
      try {
        resolvePlan(`${addon.provider}:${addon.plan}`);
      } catch (error) {
        throw new PlatError(
          'invalid_params',
          `${(error as Error).message} (add-on ${addon.name}); nothing was changed.`,
        );
      }
    }
    // Not this import's to overwrite, nor to remove on an undo.
    if (options.repos !== false && existsSync(repoPath(platform.reposDir, app.name)))
      throw new PlatError(
        'conflict',
        `A git repository of ${app.name} is in this data dir already (${repoPath(platform.reposDir, app.name)}): ` +
          'move it away, or import into a freshly started Plat; nothing was changed.',
      );
  }
}

/**
 * The checks that need the staged archive, still before any change: the
 * images may load here, Docker holds nothing of these apps under this
 * instance (the exported Plat's, on this host: an undo would remove them),
 * and the disk has room for the images and add-on data besides the archive.
 * Resolves with the image tags this Engine has already.
 */
export async function preflight(platform: Platform, staged: StagedArchive): Promise<string[]> {
  const { manifest } = staged;
  const disk = statfsSync(platform.settings.dataDir);
  const free = disk.bavail * disk.bsize;
  const need = bytesToApply(manifest) + 1024 ** 3;
  if (free < need)
    throw new PlatError(
      'unavailable',
      `The import needs about ${Math.ceil(need / 1024 ** 2)} MB free for images and add-on data, and ` +
        `${platform.settings.dataDir} has ${Math.floor(free / 1024 ** 2)} MB: free some; nothing was changed.`,
    );
  for (const app of manifest.apps) {
    const left = await dockerDisk(platform).leftovers(app.id, app.name);
    if (left.containers.length + left.volumes.length > 0)
      throw new PlatError(
        'conflict',
        `Docker has ${left.containers.length} container(s) and ${left.volumes.length} volume(s) of ${app.name} ` +
          `under this Plat's instance (${platform.settings.instance}) already: remove them, or start this Plat ` +
          'with another PLAT_INSTANCE; nothing was changed.',
      );
  }
  const images = staged.file(entryNames.images);
  const expected = [...new Set(manifest.apps.flatMap((app) => app.images))];
  if (!images || expected.length === 0) return [];
  return checkAppImages(images, { expected, from: manifest.instance, to: platform.settings.instance });
}
