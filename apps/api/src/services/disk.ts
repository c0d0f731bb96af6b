import { lstatSync, readdirSync, statfsSync, type Dirent, type Stats } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from '@plat/builder';
import type { DiskReport } from '@plat/core';
import { planCachePrune, ownSizes } from '../controller/cache-prune-plan.js';
import { DockerDisk } from '../controller/docker-disk.js';
import type { Platform } from '../platform.js';
import type { AppRow } from '../store/apps.js';
import { recentPendingBuilds } from '../store/builds.js';
import { logBytesByApp } from '../store/log-chunks.js';
import { releaseImagesInUse } from '../store/releases.js';

/**
 * Disk is bounded: this platd's unused build layers are pruned past a
 * budget after each build, and `plat admin:disk` shows what Plat holds per
 * app. Only layers carrying this platd's instance label are candidates;
 * anything a container, a running build or a kept release uses stays.
 */

export function dockerDisk(platform: Platform): DockerDisk {
  return new DockerDisk({ instance: platform.settings.instance });
}

/** Images releases still need: each app's newest PLAT_KEEP_RELEASES, its current one, and any being rolled out. */
function keptImages(platform: Platform): Promise<string[]> {
  return releaseImagesInUse(platform.sql, platform.settings.keepReleases);
}

/**
 * Builds still running: their apps' cached layers may be in use by them,
 * and layers made since the oldest began may be theirs; both are left alone.
 */
async function runningBuilds(platform: Platform): Promise<{ busyApps: string[]; notAfter: number }> {
  const maxAge = Math.ceil(platform.settings.buildTimeoutMs / 1000) + 60;
  const builds = await recentPendingBuilds(platform.sql, maxAge);
  return {
    busyApps: builds.map((build) => build.appId),
    // No build running: no layer is too new (each build's row is written before it starts).
    notAfter: Math.min(Number.MAX_SAFE_INTEGER, ...builds.map((build) => build.startedBefore)),
  };
}

export interface PruneResult {
  cacheBytes: number;
  removed: number;
  freedBytes: number;
}

/** After a build: when this platd's unused layers exceed PLAT_BUILD_CACHE_MB, removes the oldest until under it. */
export async function pruneBuildCache(platform: Platform): Promise<PruneResult> {
  const disk = dockerDisk(platform);
  const [images, containerImages, keep, building] = await Promise.all([
    disk.images(),
    disk.containerImages(),
    keptImages(platform),
    runningBuilds(platform),
  ]);
  const plan = planCachePrune({
    images,
    containerImages,
    keep,
    instance: platform.settings.instance,
    budgetBytes: platform.settings.buildCacheBytes,
    ...building,
  });
  let removed = 0;
  for (const id of plan.remove) if (await disk.removeImage(id)) removed += 1;
  if (removed > 0)
    platform.log(
      `build cache was ${mb(plan.cacheBytes)}, over ${mb(platform.settings.buildCacheBytes)}: ` +
        `removed ${removed} unused layer(s), ${mb(plan.freedBytes)}`,
    );
  return { cacheBytes: plan.cacheBytes, removed, freedBytes: plan.freedBytes };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** Bytes under a path, never following a link (a pushed repo is untrusted). */
export function bytesUnder(path: string): number {
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.isFile() ? stat.size : 0;
  let entries: Dirent[];
  try {
    entries = readdirSync(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  return entries.reduce((sum, entry) => sum + bytesUnder(join(path, entry.name)), 0);
}

type AppDisk = DiskReport['apps'][number];

/** What Plat holds on disk, per app and in all. */
export async function diskReport(platform: Platform, apps: AppRow[]): Promise<DiskReport> {
  const { sql, settings } = platform;
  const disk = dockerDisk(platform);
  const [images, containerImages, keep, building] = await Promise.all([
    disk.images(),
    disk.containerImages(),
    keptImages(platform),
    runningBuilds(platform),
  ]);
  const docker = await disk.appUsage(images, ownSizes(images));
  const cache = planCachePrune({
    images,
    containerImages,
    keep,
    instance: settings.instance,
    budgetBytes: Number.MAX_SAFE_INTEGER,
    ...building,
  });
  const logBytes = await logBytesByApp(sql);
  const rows = apps.map((app): AppDisk => {
    const usage = docker.get(app.id);
    const backupsDir = join(settings.dataDir, 'backups', app.id);
    const backupFiles = (() => {
      try {
        return readdirSync(backupsDir).length;
      } catch {
        return 0;
      }
    })();
    const routerLog = platform.routerLogs.pathOf(app.name);
    const entry = {
      app: app.name,
      id: app.id,
      images: { count: usage?.images ?? 0, bytes: usage?.imageBytes ?? 0 },
      volumes: { count: usage?.volumes ?? 0, bytes: usage?.volumeBytes ?? 0 },
      containers: { count: usage?.containers ?? 0, bytes: usage?.containerBytes ?? 0 },
      repo_bytes: bytesUnder(repoPath(platform.reposDir, app.name)),
      backups: { count: backupFiles, bytes: bytesUnder(backupsDir) },
      logs_bytes: (logBytes.get(app.id) ?? 0) + bytesUnder(routerLog) + bytesUnder(`${routerLog}.1`),
    };
    const total =
      entry.images.bytes +
      entry.volumes.bytes +
      entry.containers.bytes +
      entry.repo_bytes +
      entry.backups.bytes +
      entry.logs_bytes;
    return { ...entry, total_bytes: total };
  });
  const sum = (pick: (row: AppDisk) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const fs = statfsSync(settings.dataDir);
  return {
    apps: rows,
    // This platd's build layers that nothing uses: what PLAT_BUILD_CACHE_MB bounds.
    build_cache: { bytes: cache.cacheBytes, budget_bytes: settings.buildCacheBytes },
    totals: {
      bytes: sum((row) => row.total_bytes),
      images_bytes: sum((row) => row.images.bytes),
      volumes_bytes: sum((row) => row.volumes.bytes),
      repos_bytes: sum((row) => row.repo_bytes),
      backups_bytes: sum((row) => row.backups.bytes),
      logs_bytes: sum((row) => row.logs_bytes),
    },
    data_dir: { path: settings.dataDir, free_bytes: fs.bavail * fs.bsize, size_bytes: fs.blocks * fs.bsize },
  };
}
