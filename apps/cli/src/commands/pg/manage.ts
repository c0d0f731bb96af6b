import type { CommandContext } from '../../context.js';
import { resolveApp } from '../../context.js';
import { emit } from '../../output.js';
import { header, keyValues } from '../../present.js';
import {
  captureAddonBackup,
  downloadAddonBackup,
  listAddonBackups,
  PG_BACKUPS,
  restoreAddonBackup,
  verifyAddonBackup,
} from '../backups/addon-backups.js';

type AppOptions = { app?: string; json?: boolean };

export async function pgInfo(addon: string | undefined, options: AppOptions, context: CommandContext): Promise<void> {
  const name = await resolveApp(context, options.app);
  const info = await context.client().pg.info(name, addon);
  emit(context.output, options.json, info, () => [
    header(`${info.name} (${info.config_var})`, context.output.colors),
    ...keyValues([
      ['Plan', info.plan ?? ''],
      ['State', info.state ?? ''],
      ['Data size', info.data_size ?? ''],
      ['Tables', info.tables ?? ''],
      ['Connections', info.connections ?? ''],
      ['Version', info.version ?? ''],
      ['Created', info.created_at ?? ''],
    ]),
  ]);
}

export function listBackups(options: AppOptions, context: CommandContext): Promise<void> {
  return listAddonBackups(PG_BACKUPS, options, context);
}

/** `plat pg:backups:download [BACKUP] [-o FILE]`: the newest backup when none is named; never overwrites. */
export function downloadBackup(
  backup: string | undefined,
  options: { app?: string; output?: string },
  context: CommandContext,
): Promise<void> {
  return downloadAddonBackup(PG_BACKUPS, backup, options, context);
}

/** `plat pg:backups:capture`: the dump, then its check in a scratch server, waited for (bounded). */
export function captureBackup(addon: string | undefined, options: AppOptions, context: CommandContext) {
  return captureAddonBackup(PG_BACKUPS, addon, options, context);
}

/** `plat pg:backups:verify [BACKUP]`: checks a backup again (the newest by default) and waits for the result. */
export function verifyBackup(backup: string | undefined, options: AppOptions, context: CommandContext) {
  return verifyAddonBackup(PG_BACKUPS, backup, options, context);
}

export function restoreBackup(
  backup: string,
  addon: string | undefined,
  options: { app?: string; confirm?: string },
  context: CommandContext,
) {
  return restoreAddonBackup(PG_BACKUPS, backup, addon, options, context);
}

export async function scheduleBackups(
  addon: string | undefined,
  options: { app?: string; at?: string },
  context: CommandContext,
): Promise<void> {
  const name = await resolveApp(context, options.app);
  const hour = Number(options.at ?? '2');
  const result = await context.client().pg.schedule(name, { hour, addon });
  context.output.out(`Daily backups of ${result.addon} at ${String(hour).padStart(2, '0')}:00 UTC`);
}
