import type { AppManifest } from '../manifest/app-json.js';
import type { Sql } from './database.js';

/** The app.json applied to an app, if any, and whether its postdeploy has been taken. */
export async function appManifest(
  sql: Sql,
  appId: string,
): Promise<{ manifest: AppManifest | null; postdeployAt: Date | null } | undefined> {
  const [row] = await sql<{ manifest: AppManifest | null; postdeploy_at: Date | null }[]>`
    select manifest, postdeploy_at from apps where id = ${appId}`;
  return row ? { manifest: row.manifest, postdeployAt: row.postdeploy_at } : undefined;
}

export async function saveManifest(sql: Sql, appId: string, manifest: AppManifest): Promise<void> {
  await sql`
    update apps set manifest = ${sql.json(manifest as never)}, readiness_path = ${manifest.readinessPath ?? null},
      updated_at = now()
    where id = ${appId}`;
}

/** Takes the app's one postdeploy run: true for the caller that gets it, false once taken. */
export async function takePostdeploy(sql: Sql, appId: string): Promise<boolean> {
  const rows = await sql`
    update apps set postdeploy_at = now() where id = ${appId} and postdeploy_at is null and manifest is not null`;
  return rows.count === 1;
}

/** Whether any release of the app ever ran an image: the first deploy is the one before that. */
export async function hasDeployed(sql: Sql, appId: string): Promise<boolean> {
  const [row] = await sql<{ deployed: boolean }[]>`
    select exists (select 1 from releases where app_id = ${appId} and image is not null and status = 'succeeded')
      as deployed`;
  return row!.deployed;
}

export async function setFeatures(sql: Sql, appId: string, features: string[]): Promise<void> {
  await sql`update apps set features = ${features}, updated_at = now() where id = ${appId}`;
}
