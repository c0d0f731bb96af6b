import { randomBytes } from 'node:crypto';
import { PlatError } from '@plat/core';
import { resolvePlan } from '../addons/registry.js';
import { parseAppJson, type AppManifest } from '../manifest/app-json.js';
import { missingMessage, planManifest, type ManifestPlan } from '../manifest/plan.js';
import type { Platform } from '../platform.js';
import { listAddons } from '../store/addons.js';
import { appManifest, hasDeployed, saveManifest, takePostdeploy } from '../store/app-manifests.js';
import { configVars, findAppById, upsertFormation, type AppRow } from '../store/apps.js';
import { currentRelease } from '../store/releases.js';
import type { User } from '../store/users.js';
import { createAddon } from './addons.js';
import { createApp, destroyApp, setAppBuildpack } from './apps.js';
import { audit } from './audit.js';
import { changeConfig, checkConfigChanges } from './config-vars.js';
import { MAX_QUANTITY } from './formation.js';
import { checkDynoQuota } from './quotas.js';

/**
 * app.json applied to an app: on its first deploy (deploy.ts), by
 * `plat apps:create --manifest` and `plat apps:setup`, and for review apps.
 * Required vars are checked before anything changes; each step is safe to
 * repeat, so a second try after a failure (an add-on that did not come up)
 * finishes the job without making anything twice.
 */

export interface ApplyOptions {
  /** Values the caller gives (apps:setup --env), over app.json's defaults. */
  env?: Record<string, string>;
  /** Steps and warnings, for the caller's terminal. */
  onLine?: (line: string) => void;
}

/** Where the values of required vars come from, as the refusal says. */
const HINT = 'Set them first (plat config:set KEY=VALUE) or give them to plat apps:setup --env KEY=VALUE.';

/** The plan for this app as it is now; a missing required var is refused here, before anything changes. */
export async function planForApp(
  platform: Platform,
  app: AppRow,
  manifest: AppManifest,
  given: Record<string, string> = {},
): Promise<ManifestPlan> {
  if (Object.keys(given).length > 0) checkConfigChanges(given);
  const plan = planManifest(
    manifest,
    { config: await configVars(platform.sql, app.id), addons: await listAddons(platform.sql, app.id) },
    {
      given,
      secret: () => randomBytes(32).toString('hex'),
      defaultAttachment: (spec) => resolvePlan(spec).provider.defaultAttachment,
    },
  );
  if (plan.missing.length > 0) throw new PlatError('invalid_params', missingMessage(plan.missing, HINT));
  for (const entry of plan.formation) {
    if (entry.quantity !== undefined && entry.quantity > MAX_QUANTITY)
      throw new PlatError('invalid_params', `app.json: formation.${entry.type}.quantity: must be 0 to ${MAX_QUANTITY}`);
    if (entry.quantity !== undefined) checkDynoQuota(entry.type, entry.quantity, platform.settings.maxDynosPerType);
  }
  return plan;
}

/**
 * Applies the manifest: config vars (given values, defaults, generated
 * secrets; vars the app has already are kept), formation, buildpack,
 * add-ons (each attachment once), then stores it on the app, which marks
 * it applied: the app's first push then leaves its own app.json alone, and
 * its postdeploy runs after the first release.
 */
export async function applyManifest(
  platform: Platform,
  app: AppRow,
  user: User,
  manifest: AppManifest,
  options: ApplyOptions = {},
): Promise<void> {
  const onLine = options.onLine ?? (() => {});
  const plan = await planForApp(platform, app, manifest, options.env);
  if (Object.keys(plan.config).length > 0) {
    onLine(`-----> app.json: setting ${Object.keys(plan.config).join(', ')}`);
    await changeConfig(platform, app, user, plan.config);
  }
  if (plan.formation.length > 0) {
    for (const entry of plan.formation) await upsertFormation(platform.sql, app.id, entry);
    await audit(platform, app, user, 'formation.update', { updates: plan.formation });
    const scaled = plan.formation.map((f) => `${f.type}=${f.quantity ?? '-'}${f.size ? `:${f.size}` : ''}`);
    onLine(`-----> app.json: formation ${scaled.join(' ')}`);
  }
  if (plan.buildpack && plan.buildpack !== app.buildpack) {
    await setAppBuildpack(platform, app, user, plan.buildpack);
    onLine(`-----> app.json: buildpack ${plan.buildpack}`);
  }
  for (const addon of plan.addons) {
    onLine(`-----> app.json: creating ${addon.spec}${addon.as ? ` as ${addon.as}` : ''}...`);
    const created = await createAddon(platform, app, user, { spec: addon.spec, ...(addon.as ? { as: addon.as } : {}) });
    onLine(`       ${created.name} is ready`);
  }
  await saveManifest(platform.sql, app.id, manifest);
  await audit(platform, app, user, 'app.manifest', {
    env: Object.keys(manifest.env),
    addons: manifest.addons.map((addon) => addon.spec),
  });
  if (await hasDeployed(platform.sql, app.id)) await platform.controller.converge(app.name);
}

/** Runs a script of the stored manifest in a one-off dyno of the current release; its output goes to the app's log. */
async function runScript(
  platform: Platform,
  app: AppRow,
  kind: 'postdeploy' | 'predestroy',
  command: string,
  onLine: (line: string) => void,
): Promise<number | undefined> {
  const release = await currentRelease(platform.sql, app.id);
  if (!release?.image) return undefined;
  onLine(`-----> Running ${kind === 'postdeploy' ? 'postdeploy' : 'pr-predestroy'}: ${command}`);
  platform.controller.event(app.name, kind, `Running \`${command}\``);
  const code = await platform.controller.oneOffs.run(app, release, {
    kind,
    command,
    onLine: (line) => onLine(`       ${line}`),
  });
  platform.controller.event(app.name, kind, `\`${command}\` exited with status ${code}`);
  onLine(code === 0 ? `       ${kind} done` : ` !     ${kind} exited with status ${code}`);
  return code;
}

/**
 * app.json's scripts.postdeploy, once per app: after its first release
 * (taken before it runs, so a platd restart never runs it twice).
 * Undefined when there is none to run.
 */
export async function runPostdeploy(
  platform: Platform,
  app: AppRow,
  onLine: (line: string) => void = () => {},
): Promise<number | undefined> {
  const command = (await appManifest(platform.sql, app.id))?.manifest?.scripts.postdeploy;
  if (!command || !(await currentRelease(platform.sql, app.id))?.image) return undefined;
  if (!(await takePostdeploy(platform.sql, app.id))) return undefined;
  return runScript(platform, app, 'postdeploy', command, onLine);
}

/** app.json's scripts["pr-predestroy"], before a review app is destroyed; undefined when there is none. */
export async function runPrPredestroy(
  platform: Platform,
  app: AppRow,
  onLine: (line: string) => void = () => {},
): Promise<number | undefined> {
  const command = (await appManifest(platform.sql, app.id))?.manifest?.scripts['pr-predestroy'];
  return command ? runScript(platform, app, 'predestroy', command, onLine) : undefined;
}

/**
 * Heroku's app-setups: a new app made from an app.json in one step (plat
 * apps:setup, apps:create --manifest). A missing required var or an
 * invalid field is refused before the app exists; an app whose manifest
 * cannot be applied (an add-on that does not come up) is destroyed again.
 */
export async function setUpApp(
  platform: Platform,
  user: User,
  request: { name?: string | undefined; manifest: string; env?: Record<string, string> | undefined },
): Promise<{ app: AppRow; warnings: string[]; postdeploy: string | null }> {
  const { manifest, warnings } = parseAppJson(request.manifest);
  const given = request.env ?? {};
  if (Object.keys(given).length > 0) checkConfigChanges(given);
  const { missing } = planManifest(
    manifest,
    { config: {}, addons: [] },
    { given, secret: () => '', defaultAttachment: () => '' },
  );
  if (missing.length > 0) throw new PlatError('invalid_params', missingMessage(missing, HINT));
  const app = await createApp(platform, user, request.name);
  try {
    await applyManifest(platform, app, user, manifest, { env: given });
  } catch (error) {
    await destroyApp(platform, app, user, app.name).catch((undo: Error) =>
      platform.log(`removing ${app.name} after its app.json failed: ${undo.message}`),
    );
    throw error;
  }
  return {
    app: (await findAppById(platform.sql, app.id)) ?? app,
    warnings,
    postdeploy: manifest.scripts.postdeploy ?? null,
  };
}
