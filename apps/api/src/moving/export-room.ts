import { createHash } from 'node:crypto';
import { existsSync, promises as fs, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { repoPath } from '@plat/builder';
import { PlatError } from '@plat/core';
import { DISK_RESERVE_BYTES } from '../backups/capture.js';
import type { Platform } from '../platform.js';
import { addonBackups } from '../store/pg-backups.js';

/**
 * How much disk an export needs, known before its first byte: the archive
 * on the CLI's side (sent as a response header, checked against the free
 * space where FILE goes) and the largest staged entry on platd's side. A
 * lower estimate on purpose: what is not known ahead (the first dump of an
 * add-on, tar headers) is left out, so a check never refuses an export that
 * fits; a disk that still fills stops it cleanly (ENOSPC) with nothing left.
 */

/** An image history line as the Engine lists it (GET /images/{name}/history), newest first. */
export interface HistoryEntry {
  Created: number;
  CreatedBy: string;
  Size: number;
}

/**
 * The bytes `docker save` writes for these images, a layer shared by two
 * (the stack, a common base) counted once. A layer is known by the history
 * up to it: images built on one base share its lines. Pure.
 */
export function imagesBytes(histories: HistoryEntry[][]): number {
  const seen = new Set<string>();
  let total = 0;
  for (const history of histories) {
    let chain = '';
    for (const entry of [...history].reverse()) {
      chain = createHash('sha256')
        .update(chain)
        .update(JSON.stringify([entry.Created, entry.CreatedBy, entry.Size]))
        .digest('hex');
      if (seen.has(chain)) continue;
      seen.add(chain);
      total += Math.max(0, entry.Size);
    }
  }
  return total;
}

export interface ExportEstimate {
  /** The whole archive, at least. */
  archiveBytes: number;
  /** The largest entry platd stages in its data dir's tmp folder at one time (images, or one add-on's data). */
  stagedBytes: number;
}

const mb = (bytes: number) => Math.ceil(bytes / 1024 ** 2);

/** Why platd cannot stage the export in its data dir, or undefined when it can. Pure. */
export function stagingShortfall(free: number, estimate: ExportEstimate, dir: string): string | undefined {
  const need = estimate.stagedBytes + DISK_RESERVE_BYTES;
  if (free >= need) return undefined;
  return (
    `Not enough free disk on the server to make the export: ${mb(free)} MB free in ${dir}, ` +
    `about ${mb(need)} MB needed (its largest entry, staged there one at a time, and a reserve); ` +
    'free some space (old releases, backups) and export again. Nothing was written.'
  );
}

async function sizeOf(path: string): Promise<number> {
  return (await fs.lstat(path).catch(() => undefined))?.size ?? 0;
}

/** A bare repository's packs: about what `git bundle --all` writes. */
function repoBytes(repo: string): Promise<number> {
  const packs = join(repo, 'objects', 'pack');
  if (!existsSync(packs)) return Promise.resolve(0);
  const files = readdirSync(packs).filter((name) => name.endsWith('.pack'));
  return Promise.all(files.map((name) => sizeOf(join(packs, name)))).then((sizes) => sizes.reduce((a, b) => a + b, 0));
}

/**
 * The estimate of an export whose state is dumped at `state`: state, files
 * that travel as they are, repositories, images, and each add-on's data as
 * large as its newest backup (none yet: left out).
 */
export async function estimateExport(
  platform: Platform,
  parts: {
    state: string;
    files: string[];
    apps: { id: string; name: string; repo?: string; images: string[]; addons: { name: string; data?: string }[] }[];
  },
  docker: Docker = new Docker(),
): Promise<ExportEstimate> {
  let archiveBytes = await sizeOf(parts.state);
  for (const file of parts.files) archiveBytes += await sizeOf(file);
  let stagedBytes = 0;
  for (const app of parts.apps) {
    if (app.repo) archiveBytes += await repoBytes(repoPath(platform.reposDir, app.name));
    for (const addon of app.addons.filter((entry) => entry.data)) {
      const newest = (await addonBackups(platform.sql, app.id, addon.name)).sort((a, b) => b.number - a.number)[0];
      const bytes = newest ? Number(newest.size_bytes) : 0;
      archiveBytes += bytes;
      stagedBytes = Math.max(stagedBytes, bytes);
    }
  }
  const tags = [...new Set(parts.apps.flatMap((app) => app.images))];
  const histories: HistoryEntry[][] = [];
  for (const tag of tags) {
    const history = (await docker
      .getImage(tag)
      .history()
      .catch(() => [])) as HistoryEntry[];
    histories.push(history);
  }
  const images = imagesBytes(histories);
  return { archiveBytes: archiveBytes + images, stagedBytes: Math.max(stagedBytes, images) };
}

/** Refuses, before anything is sent, an export platd has no room to stage. */
export async function checkStagingRoom(estimate: ExportEstimate, dir: string): Promise<void> {
  const stats = await fs.statfs(dir);
  const why = stagingShortfall(stats.bavail * stats.bsize, estimate, dir);
  if (why) throw new PlatError('unavailable', why);
}
