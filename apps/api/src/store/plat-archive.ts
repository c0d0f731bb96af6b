import type { Sql } from './database.js';

/**
 * The queries of `plat admin:export` / `admin:import` (apps/api/src/moving):
 * what an export surveys, and the fix-ups an imported state needs on this host.
 */

/** Every app's id and name, by name. */
export async function appsByName(sql: Sql): Promise<{ id: string; name: string }[]> {
  return sql<{ id: string; name: string }[]>`select id, name from apps order by name`;
}

/** Every pg:backups file as its row names it. */
export async function backupFileRows(sql: Sql): Promise<{ id: string; app_id: string; file: string }[]> {
  return sql<{ id: string; app_id: string; file: string }[]>`select id, app_id, file from pg_backups`;
}

/**
 * A backup row's file, kept inside `<backups dir>/<app id>/`: rows of an
 * imported state are not trusted (a destroy or a rollback removes the file a
 * row names, as root). A file elsewhere, or with an odd name, becomes a name
 * in the app's folder that does not exist, so the record stays and harms nothing.
 */
export function containedBackupFile(row: { id: string; app_id: string; file: string }, backupsDir: string): string {
  const folder = `${backupsDir}/${row.app_id}/`;
  const base = row.file.slice(folder.length);
  const inside = row.file.startsWith(folder) && /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(base);
  return inside && /^[0-9a-f-]{36}$/.test(row.app_id) ? row.file : `${folder}missing-${row.id}`;
}

/**
 * After an imported state is in place: image tags of the exporting instance
 * (`fromPrefix`) renamed to this one's, network blocks freed (this host's
 * PLAT_NETWORK_POOL hands them out again), backup files moved from the old
 * data dir's backups folder to this one's, and then every backup file kept
 * inside it (containedBackupFile). One transaction.
 */
export async function adaptImportedState(
  sql: Sql,
  options: { fromPrefix: string; toPrefix: string; oldBackups: string; newBackups: string },
): Promise<void> {
  const { fromPrefix: from, toPrefix: to, oldBackups, newBackups } = options;
  await sql.begin(async (tx) => {
    if (from !== to) {
      const rest = from.length + 1;
      await tx`update releases set image = ${to} || substr(image, ${rest}) where starts_with(image, ${from})`;
      await tx`update builds set image = ${to} || substr(image, ${rest}) where starts_with(image, ${from})`;
    }
    await tx`delete from network_blocks`;
    await tx`update pg_backups set file = ${`${newBackups}/`} || substr(file, ${oldBackups.length + 2})
      where starts_with(file, ${`${oldBackups}/`})`;
  });
  await containBackupFiles(sql, newBackups);
}

/** Rewrites every backup row whose file is not inside `<backupsDir>/<app id>/` (containedBackupFile). */
export async function containBackupFiles(sql: Sql, backupsDir: string): Promise<number> {
  let changed = 0;
  for (const row of await backupFileRows(sql)) {
    const file = containedBackupFile(row, backupsDir);
    if (file === row.file) continue;
    await sql`update pg_backups set file = ${file} where id = ${row.id}`;
    changed += 1;
  }
  return changed;
}

/** The backup target's URL, when one is set (none before migration 026). */
export async function backupTargetUrls(sql: Sql): Promise<string[]> {
  const rows = await sql<{ url: string }[]>`select url from backup_target`.catch(() => []);
  return rows.map((row) => row.url);
}
