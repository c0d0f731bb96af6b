import { PlatError, type Feature } from '@plat/core';
import { HEROKU_METADATA } from '../controller/dyno-spec.js';
import type { Platform } from '../platform.js';
import { setFeatures } from '../store/app-manifests.js';
import { findAppById, type AppRow } from '../store/apps.js';
import { currentRelease } from '../store/releases.js';
import type { User } from '../store/users.js';
import { audit } from './audit.js';
import { restartDynos } from './formation.js';

/** Labs: per-app switches for behaviour most apps do not need (plat labs). */
export const FEATURES: Record<string, string> = {
  [HEROKU_METADATA]:
    "Dyno metadata under Heroku's names as well: HEROKU_RELEASE_VERSION, HEROKU_SLUG_COMMIT, HEROKU_APP_NAME, " +
    'HEROKU_APP_ID, HEROKU_DYNO_ID (for apps written for Heroku)',
};

export function listFeatures(app: AppRow): Feature[] {
  return Object.entries(FEATURES).map(([name, description]) => ({
    name,
    description,
    enabled: app.features.includes(name),
  }));
}

/** Switches a feature; running dynos restart (rolling, as ps:restart) so they see it. */
export async function setFeature(
  platform: Platform,
  app: AppRow,
  user: User,
  name: string,
  enabled: boolean,
): Promise<Feature> {
  if (!Object.hasOwn(FEATURES, name))
    throw new PlatError(
      'not_found',
      `Unknown feature ${JSON.stringify(name)}: use ${Object.keys(FEATURES).join(', ')}.`,
    );
  const features = app.features.filter((feature) => feature !== name);
  if (enabled) features.push(name);
  await setFeatures(platform.sql, app.id, features.sort());
  await audit(platform, app, user, enabled ? 'feature.enable' : 'feature.disable', { feature: name });
  if ((await currentRelease(platform.sql, app.id))?.image) await restartDynos(platform, app, user);
  const row = (await findAppById(platform.sql, app.id)) ?? app;
  return listFeatures(row).find((feature) => feature.name === name)!;
}
