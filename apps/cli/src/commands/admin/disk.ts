import type { CommandContext } from '../../context.js';
import { emit } from '../../output.js';
import { keyValues, table } from '../../present.js';

/** 1536 → "1.5 KB": binary units, one decimal, as df -h shows them. */
export function humanBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** `plat admin:disk`: what Plat holds on disk per app, the build cache and the data dir's free space. */
export async function showDisk(options: { json?: boolean }, context: CommandContext): Promise<void> {
  const report = await context.client().admin.disk();
  const { build_cache: cache, data_dir: dataDir } = report;
  emit(context.output, options.json, report, () => [
    ...table(
      ['App', 'Images', 'Volumes', 'Repo', 'Backups', 'Logs', 'Total'],
      report.apps.map((app) => [
        app.app,
        `${humanBytes(app.images.bytes)} (${app.images.count})`,
        `${humanBytes(app.volumes.bytes)} (${app.volumes.count})`,
        humanBytes(app.repo_bytes),
        `${humanBytes(app.backups.bytes)} (${app.backups.count})`,
        humanBytes(app.logs_bytes),
        humanBytes(app.total_bytes),
      ]),
    ),
    '',
    ...keyValues([
      ['Apps in all', humanBytes(report.totals.bytes)],
      ['Build cache', `${humanBytes(cache.bytes)} unused layers (pruned past ${humanBytes(cache.budget_bytes)})`],
      ['Data dir', `${dataDir.path}: ${humanBytes(dataDir.free_bytes)} free of ${humanBytes(dataDir.size_bytes)}`],
    ]),
  ]);
}
