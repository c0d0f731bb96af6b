import { PlatError } from '@plat/core';

/**
 * The archive `plat admin:export` writes and `admin:import` reads: a tar of
 * regular files only, in this order:
 *
 *   plat-export.json          the header: format, version, instance, apps (read first, to refuse early)
 *   state/state.dump          pg_dump (custom format) of the state database
 *   state/admin-token         the admin token file
 *   repos/<app>.bundle        each app's git repository (git bundle --all), when it has commits
 *   images/apps.tar           docker save of every app's current and kept release images
 *   addons/<addon>.dump       each add-on's data (dumpAddon: pg_dump, or a redis RDB snapshot)
 *   backups/<app id>/<file>   the pg:backups files kept in the data dir
 *   ssh/<host key>            platd's sshd host keys
 *   acme/account-key.pem      the ACME account key
 *   settings.json             the exporting platd's settings, for reference
 *   manifest.json             the header again with every entry's size and sha256: LAST, since
 *                             a checksum is known only once its entry has streamed
 *
 * This module is pure: names, shapes and checks; export.ts and staging.ts do the I/O.
 */

export const FORMAT = 'plat-export';
export const VERSION = 1;
export const HEADER_ENTRY = 'plat-export.json';
export const MANIFEST_ENTRY = 'manifest.json';

export interface ExportedAddon {
  name: string;
  provider: string;
  plan: string;
  /** The entry holding its data, when it keeps any. */
  data?: string;
}

export interface ExportedApp {
  name: string;
  id: string;
  /** The current release's version, 0 when it has none. */
  release: number;
  /** Image tags of its current and kept releases that are in images/apps.tar. */
  images: string[];
  /** The entry with its git repository, when it has commits. */
  repo?: string;
  addons: ExportedAddon[];
}

export interface ArchiveHeader {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** The exporting platd's PLAT_INSTANCE: its image tags and labels carry it. */
  instance: string;
  /** Its data dir: paths kept in rows (pg:backups files) start with it. */
  data_dir: string;
  created_at: string;
  migrations: string[];
  apps: ExportedApp[];
}

export interface EntrySum {
  name: string;
  size: number;
  sha256: string;
}

export interface ArchiveManifest extends ArchiveHeader {
  entries: EntrySum[];
}

const APP = '[a-z][a-z0-9-]{1,29}';
const ADDON = '[a-z][a-z0-9-]{1,62}';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** Every entry name an archive may hold, and the most bytes each may have. */
const KINDS: { pattern: RegExp; maxBytes: number }[] = [
  { pattern: new RegExp(`^(${HEADER_ENTRY}|${MANIFEST_ENTRY}|settings\\.json)$`), maxBytes: 16 * 1024 ** 2 },
  { pattern: /^state\/admin-token$/, maxBytes: 4096 },
  { pattern: /^state\/state\.dump$/, maxBytes: 64 * 1024 ** 3 },
  { pattern: new RegExp(`^repos/${APP}\\.bundle$`), maxBytes: 64 * 1024 ** 3 },
  { pattern: /^images\/apps\.tar$/, maxBytes: 1024 ** 4 },
  { pattern: new RegExp(`^addons/${ADDON}\\.dump$`), maxBytes: 1024 ** 4 },
  // Captures name their file <add-on>-<uuid> (older ones <add-on>-<milliseconds>).
  { pattern: new RegExp(`^backups/${UUID}/${ADDON}-([0-9]{1,16}|${UUID})\\.(dump|rdb)$`), maxBytes: 1024 ** 4 },
  { pattern: /^ssh\/ssh_host_(ed25519|ecdsa|rsa)_key(\.pub)?$/, maxBytes: 64 * 1024 },
  { pattern: /^acme\/account-key\.pem$/, maxBytes: 64 * 1024 },
];

/**
 * Whether `name` is an entry of this format, and how large it may be. The
 * patterns admit no `..`, no absolute path, no empty segment: a checked name
 * is safe to turn into a file name under the staging folder.
 */
export function entryLimit(name: string): number | undefined {
  if (name.length > 200) return undefined;
  return KINDS.find((kind) => kind.pattern.test(name))?.maxBytes;
}

/** The staged file of an entry: one flat folder, `/` spelt `__` (names are checked first). */
export function stagedName(name: string): string {
  return name.replaceAll('/', '__');
}

export const entryNames = {
  repo: (app: string) => `repos/${app}.bundle`,
  addon: (addon: string) => `addons/${addon}.dump`,
  backup: (appId: string, file: string) => `backups/${appId}/${file}`,
  images: 'images/apps.tar',
  state: 'state/state.dump',
  adminToken: 'state/admin-token',
  settings: 'settings.json',
};

function refuse(why: string): PlatError {
  return new PlatError(
    'invalid_params',
    `That file is not a Plat export this platd can read (${why}); nothing was changed.`,
  );
}

const isString = (value: unknown): value is string => typeof value === 'string';

/** Checks a parsed header (or manifest) field by field: it steers what import does, so nothing is taken on trust. */
export function checkHeader(value: unknown): ArchiveHeader {
  const header = value as Partial<ArchiveHeader> | null;
  if (!header || typeof header !== 'object') throw refuse('no header');
  if (header.format !== FORMAT) throw refuse(`format ${JSON.stringify(header.format)}`);
  if (header.version !== VERSION)
    throw refuse(`version ${JSON.stringify(header.version)}, this platd reads ${VERSION}`);
  if (!isString(header.instance) || !/^[a-z0-9]{1,16}$/.test(header.instance)) throw refuse('bad instance');
  if (!isString(header.data_dir) || !header.data_dir.startsWith('/')) throw refuse('bad data dir');
  if (!isString(header.created_at) || Number.isNaN(Date.parse(header.created_at))) throw refuse('bad date');
  if (
    !Array.isArray(header.migrations) ||
    !header.migrations.every((m) => isString(m) && /^\d{3}_[a-z0-9_]+\.sql$/.test(m))
  )
    throw refuse('bad migrations');
  if (!Array.isArray(header.apps) || header.apps.length > 10_000) throw refuse('bad app list');
  const appPattern = new RegExp(`^${APP}$`);
  const addonPattern = new RegExp(`^${ADDON}$`);
  const tagPrefix = `plat/${header.instance}-`;
  for (const app of header.apps) {
    if (!app || !isString(app.name) || !appPattern.test(app.name)) throw refuse('bad app name');
    if (!isString(app.id) || !new RegExp(`^${UUID}$`).test(app.id)) throw refuse(`bad id of ${app.name}`);
    if (!Number.isInteger(app.release) || app.release < 0) throw refuse(`bad release of ${app.name}`);
    if (app.repo !== undefined && app.repo !== entryNames.repo(app.name)) throw refuse(`bad repo of ${app.name}`);
    if (!Array.isArray(app.images) || !app.images.every((tag) => isString(tag) && isAppImageTag(tag, tagPrefix)))
      throw refuse(`bad images of ${app.name}`);
    if (!Array.isArray(app.addons)) throw refuse(`bad add-ons of ${app.name}`);
    for (const addon of app.addons) {
      if (!addon || !isString(addon.name) || !addonPattern.test(addon.name)) throw refuse('bad add-on name');
      if (!isString(addon.provider) || !isString(addon.plan)) throw refuse(`bad add-on ${addon.name}`);
      if (addon.data !== undefined && addon.data !== entryNames.addon(addon.name))
        throw refuse(`bad data of ${addon.name}`);
    }
  }
  const names = header.apps.map((app) => app.name);
  if (new Set(names).size !== names.length) throw refuse('an app twice');
  return header as ArchiveHeader;
}

/** An app image tag of the exporting instance: `plat/<instance>-<app>:<12 hex>`. */
export function isAppImageTag(tag: string, prefix: string): boolean {
  return tag.startsWith(prefix) && /^plat\/[a-z0-9]{1,16}-[a-z][a-z0-9-]{1,29}:[0-9a-f-]{12}$/.test(tag);
}

/** The same tag under this platd's instance. */
export function renamedTag(tag: string, from: string, to: string): string {
  return `plat/${to}-${tag.slice(`plat/${from}-`.length)}`;
}

/**
 * The manifest against what was read: the same header as the first entry,
 * and every entry there with its size and sha256, none missing or extra.
 * Returns the first difference, or undefined when all agree.
 */
export function compareManifest(
  header: ArchiveHeader,
  manifestValue: unknown,
  read: EntrySum[],
): { manifest?: ArchiveManifest; problem?: string } {
  let manifest: ArchiveManifest;
  try {
    manifest = { ...checkHeader(manifestValue), entries: (manifestValue as ArchiveManifest).entries };
  } catch (error) {
    return { problem: `its manifest is invalid: ${(error as Error).message}` };
  }
  const { entries: _entries, ...rest } = manifest;
  if (JSON.stringify(rest) !== JSON.stringify(header)) return { problem: 'its manifest and its header differ' };
  if (!Array.isArray(manifest.entries)) return { problem: 'its manifest lists no entries' };
  const listed = new Map<string, EntrySum>();
  for (const entry of manifest.entries) {
    if (!entry || !isString(entry.name) || !Number.isInteger(entry.size) || !isString(entry.sha256))
      return { problem: 'its manifest has a malformed entry' };
    listed.set(entry.name, entry);
  }
  for (const entry of read) {
    const want = listed.get(entry.name);
    if (!want) return { problem: `${entry.name} is not in its manifest` };
    if (want.size !== entry.size)
      return { problem: `${entry.name} has ${entry.size} bytes, its manifest says ${want.size}` };
    if (want.sha256 !== entry.sha256) return { problem: `${entry.name} does not match its checksum (sha256)` };
    listed.delete(entry.name);
  }
  const missing = [...listed.keys()];
  if (missing.length > 0)
    return { problem: `${missing.slice(0, 3).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing` };
  // Every entry the header names must be there.
  const present = new Set(read.map((entry) => entry.name));
  for (const app of header.apps) {
    if (app.repo && !present.has(app.repo)) return { problem: `${app.repo} is missing` };
    if (app.images.length > 0 && !present.has(entryNames.images)) return { problem: `${entryNames.images} is missing` };
    for (const addon of app.addons)
      if (addon.data && !present.has(addon.data)) return { problem: `${addon.data} is missing` };
  }
  if (!present.has(entryNames.state)) return { problem: `${entryNames.state} is missing` };
  return { manifest };
}

/**
 * The imported state against the header that steered the import (repos,
 * images, add-on data, backup folders): the same apps, by id and name, and
 * the same active add-ons of each. The state is the truth platd runs on, and
 * its names become paths, container names and router config: a state that
 * names anything else is refused. Returns the first difference.
 */
export function stateDiffers(
  header: ArchiveHeader,
  state: { apps: { id: string; name: string }[]; addons: { app_id: string; name: string; state: string }[] },
): string | undefined {
  const key = (app: { id: string; name: string }) => `${app.id} ${app.name}`;
  const want = new Set(header.apps.map(key));
  const have = new Set(state.apps.map(key));
  const extra = state.apps.find((app) => !want.has(key(app)));
  if (extra) return `its state has an app ${JSON.stringify(extra.name.slice(0, 40))} its header does not list`;
  const missing = header.apps.find((app) => !have.has(key(app)));
  if (missing) return `its state lacks the app ${missing.name}`;
  const addonKey = (appId: string, name: string) => `${appId} ${name}`;
  const listed = new Set(header.apps.flatMap((app) => app.addons.map((addon) => addonKey(app.id, addon.name))));
  // An add-on being made or destroyed was not exported; its name still becomes a container's.
  const addonPattern = new RegExp(`^${ADDON}$`);
  const odd = state.addons.find((addon) =>
    addon.state === 'active' ? !listed.has(addonKey(addon.app_id, addon.name)) : !addonPattern.test(addon.name),
  );
  if (odd) return `its state has an add-on ${JSON.stringify(odd.name.slice(0, 70))} its header does not list`;
  return undefined;
}

/** Bytes an import writes besides the staged archive: images into Docker, add-on data into volumes. */
export function bytesToApply(manifest: ArchiveManifest): number {
  return manifest.entries
    .filter((entry) => entry.name === entryNames.images || entry.name.startsWith('addons/'))
    .reduce((sum, entry) => sum + entry.size, 0);
}
