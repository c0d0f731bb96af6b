import type { AppManifest, ManifestAddon } from './app-json.js';

/**
 * What applying an app.json to an app changes, decided from the manifest and
 * the app as it is: config vars to set, formation, add-ons to create,
 * buildpack. Pure, so a push can refuse a missing required var before
 * anything is made, and a second try (after an add-on failed to provision)
 * changes only what the first did not.
 */

export interface ManifestTarget {
  /** The app's config vars now. */
  config: Record<string, string>;
  /** Attachments (config var prefixes) of its add-ons now. */
  addons: { attachment: string }[];
}

export interface ManifestPlan {
  /** Vars to set: given values, then defaults and generated secrets for vars the app lacks. */
  config: Record<string, string>;
  /** Required vars nobody gave a value: applying is refused while any is missing. */
  missing: { key: string; description?: string }[];
  formation: { type: string; quantity?: number; size?: string }[];
  addons: ManifestAddon[];
  buildpack?: string;
  readinessPath?: string;
  postdeploy?: string;
}

export function planManifest(
  manifest: AppManifest,
  target: ManifestTarget,
  options: {
    /** Values the caller gives (apps:setup --env), over defaults and the app's own. */
    given?: Record<string, string>;
    /** A fresh secret per call: 64 hex characters, as Heroku's generator makes. */
    secret: () => string;
    /** The attachment an add-on spec gets without "as". */
    defaultAttachment: (spec: string) => string;
  },
): ManifestPlan {
  const given = options.given ?? {};
  const config: Record<string, string> = { ...given };
  const missing: ManifestPlan['missing'] = [];
  for (const [key, entry] of Object.entries(manifest.env)) {
    if (Object.hasOwn(given, key) || Object.hasOwn(target.config, key)) continue;
    if (entry.value !== undefined) config[key] = entry.value;
    else if (entry.generator === 'secret') config[key] = options.secret();
    else if (entry.required) missing.push({ key, ...(entry.description ? { description: entry.description } : {}) });
  }
  const attached = new Set(target.addons.map((addon) => addon.attachment));
  // A second try, or an app that has it already: the attachment is there.
  const addons = manifest.addons.filter((addon) => !attached.has(addon.as ?? options.defaultAttachment(addon.spec)));
  return {
    config,
    missing,
    formation: Object.entries(manifest.formation).map(([type, entry]) => ({ type, ...entry })),
    addons,
    ...(manifest.buildpack ? { buildpack: manifest.buildpack } : {}),
    ...(manifest.readinessPath ? { readinessPath: manifest.readinessPath } : {}),
    ...(manifest.scripts.postdeploy ? { postdeploy: manifest.scripts.postdeploy } : {}),
  };
}

/** The refusal for missing required vars, naming each and its description. */
export function missingMessage(missing: ManifestPlan['missing'], hint: string): string {
  const list = missing.map((m) => (m.description ? `${m.key} (${m.description})` : m.key)).join(', ');
  return `app.json requires ${missing.length === 1 ? 'a config var' : 'config vars'} with no value: ${list}. ${hint}`;
}
