import { findBuildpack } from '@plat/builder';
import { PlatError } from '@plat/core';
import { type TSchema, Type } from '@sinclair/typebox';
import { Value, type ValueError } from '@sinclair/typebox/value';
import { providers } from '../addons/registry.js';
import { SIZES } from '../controller/dyno-spec.js';

/**
 * app.json, Heroku's description of an app, read as data: the fields that
 * matter off Heroku (env, formation, addons, scripts, buildpacks, and
 * Dokku's healthchecks for a readiness path) are checked and turned into one
 * normalised manifest; an invalid field is refused naming its path
 * (`env.SECRET_KEY.generator: must be "secret"`), an unknown one is ignored
 * with a warning. Pure: no database, no Docker.
 */

/** app.json is a description, not a payload: anything larger is refused before it is parsed. */
export const MAX_APP_JSON_BYTES = 64 * 1024;

const MAX_ENTRIES = 100;
const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Set by Plat for every dyno (config-vars.ts refuses them too). */
const RESERVED = new Set(['PORT', 'DYNO']);
const PROCESS_TYPE = /^[A-Za-z0-9_-]{1,30}$/;
const ATTACHMENT = /^[A-Za-z][A-Za-z0-9_]{0,40}$/;

export interface ManifestEnvVar {
  description?: string;
  /** The default, used unless the app has the var already or the caller gives one. */
  value?: string;
  /** Heroku's default: a var with neither value nor generator must be given. */
  required: boolean;
  generator?: 'secret';
}

export interface ManifestAddon {
  /** `redis`, `postgres:standard`: a spec resolvePlan accepts. */
  spec: string;
  /** The attachment (config var prefix) when app.json names one. */
  as?: string;
}

export interface AppManifest {
  env: Record<string, ManifestEnvVar>;
  formation: Record<string, { quantity?: number; size?: string }>;
  addons: ManifestAddon[];
  scripts: { postdeploy?: string; 'pr-predestroy'?: string };
  /** A Plat buildpack name. */
  buildpack?: string;
  /** GET this path answering 2xx or 3xx makes a web dyno ready (instead of any answer on /). */
  readinessPath?: string;
}

const text = (max: number) => Type.String({ maxLength: max });
const command = Type.String({ minLength: 1, maxLength: 4096, errorMessage: 'must be a command line' });

const EnvEntry = Type.Union(
  [
    text(32_768),
    Type.Object({
      description: Type.Optional(text(4096)),
      value: Type.Optional(Type.String({ maxLength: 32_768, errorMessage: 'must be a string' })),
      required: Type.Optional(Type.Boolean({ errorMessage: 'must be true or false' })),
      generator: Type.Optional(Type.Literal('secret', { errorMessage: 'must be "secret"' })),
    }),
  ],
  { errorMessage: 'must be a string or an object with value, description, required or generator' },
);

const AppJsonSchema = Type.Object({
  env: Type.Optional(Type.Record(Type.String(), EnvEntry, { errorMessage: 'must be an object' })),
  formation: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Object(
        {
          quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: 100, errorMessage: 'must be 0 to 100' })),
          size: Type.Optional(text(40)),
        },
        { errorMessage: 'must be an object with quantity and size' },
      ),
      { errorMessage: 'must be an object' },
    ),
  ),
  addons: Type.Optional(
    Type.Array(
      Type.Union(
        [
          text(100),
          Type.Object({
            plan: Type.String({ minLength: 1, maxLength: 100, errorMessage: 'must be a plan name' }),
            as: Type.Optional(text(60)),
          }),
        ],
        { errorMessage: 'must be a plan name or an object with plan (and as)' },
      ),
      { maxItems: 20, errorMessage: 'must be a list of at most 20 add-ons' },
    ),
  ),
  scripts: Type.Optional(
    Type.Object(
      {
        postdeploy: Type.Optional(
          Type.Union([command, Type.Object({ command, size: Type.Optional(text(40)) })], {
            errorMessage: 'must be a command line',
          }),
        ),
        'pr-predestroy': Type.Optional(command),
      },
      { errorMessage: 'must be an object' },
    ),
  ),
  buildpacks: Type.Optional(
    Type.Array(Type.Object({ url: Type.String({ minLength: 1, maxLength: 300, errorMessage: 'must be a name' }) }), {
      maxItems: 10,
      errorMessage: 'must be a list of {"url": NAME}',
    }),
  ),
  healthchecks: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Array(Type.Object({ type: Type.Optional(text(40)), path: Type.Optional(text(300)) }), {
        maxItems: 20,
        errorMessage: 'must be a list of checks',
      }),
      { errorMessage: 'must be an object of process types' },
    ),
  ),
});

/** Fields Heroku's app.json has that describe the app for people; accepted without a word. */
const DESCRIPTIVE = ['name', 'description', 'keywords', 'website', 'repository', 'logo', 'success_url'];
const KNOWN: Record<string, string[]> = {
  '': [...Object.keys(AppJsonSchema.properties), ...DESCRIPTIVE],
  env: ['description', 'value', 'required', 'generator'],
  formation: ['quantity', 'size'],
  addons: ['plan', 'as'],
  scripts: ['postdeploy', 'pr-predestroy'],
  'scripts.postdeploy': ['command', 'size'],
  buildpacks: ['url'],
  healthchecks: ['type', 'name', 'description', 'path', 'attempts', 'timeout', 'wait', 'initialDelay', 'content'],
};

function refuse(path: string, message: string): PlatError {
  return new PlatError('invalid_params', `app.json: ${path ? `${path}: ` : ''}${message}`);
}

/** `/env/SECRET_KEY/generator` → `env.SECRET_KEY.generator`; `/addons/0` → `addons[0]`. */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function describeError(error: ValueError): string {
  const custom = (error.schema as TSchema & { errorMessage?: string }).errorMessage;
  if (custom) return custom;
  const schema = error.schema as TSchema & { maxLength?: number };
  if (schema.type === 'string' && schema.maxLength !== undefined)
    return `must be a string of at most ${schema.maxLength} characters`;
  if (schema.type === 'object') return 'must be an object';
  return error.message.replace(/^Expected/, 'must be');
}

/** JSON's name for a value's type, as schemas say it. */
function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value === 'number' && Number.isInteger(value) ? 'integer' : typeof value;
}

/**
 * The first field that fails, as deep as it can be named: a union's value
 * is checked against the branch of its own type (an object against the
 * object form), so the error names the field inside it.
 */
function firstError(schema: TSchema, value: unknown): { path: string; message: string } | undefined {
  const error = Value.Errors(schema, value).First();
  if (!error) return undefined;
  const branches = (error.schema as TSchema & { anyOf?: TSchema[] }).anyOf;
  const branch = branches?.find(
    (b) => b.type === jsonType(error.value) || (b.type === 'number' && typeof error.value === 'number'),
  );
  if (branch) {
    const inner = firstError(branch, error.value);
    if (inner) return { path: `${error.path}${inner.path}`, message: inner.message };
  }
  return { path: error.path, message: describeError(error) };
}

/** Warnings for fields Plat does not use, by their path. */
function unknownFields(raw: Record<string, unknown>): string[] {
  const warnings: string[] = [];
  const check = (path: string, kind: string, value: unknown) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      if (!KNOWN[kind]!.includes(key))
        warnings.push(`app.json: ${path ? `${path}.` : ''}${key} is not used by Plat; ignored`);
    }
  };
  check('', '', raw);
  const each = (value: unknown): [string, unknown][] =>
    value !== null && typeof value === 'object' ? Object.entries(value) : [];
  for (const [key, value] of each(raw.env)) check(`env.${key}`, 'env', value);
  for (const [key, value] of each(raw.formation)) check(`formation.${key}`, 'formation', value);
  for (const [index, value] of each(raw.addons)) check(`addons[${index}]`, 'addons', value);
  for (const [index, value] of each(raw.buildpacks)) check(`buildpacks[${index}]`, 'buildpacks', value);
  check('scripts', 'scripts', raw.scripts);
  check('scripts.postdeploy', 'scripts.postdeploy', (raw.scripts as Record<string, unknown> | undefined)?.postdeploy);
  for (const [type, checks] of each(raw.healthchecks))
    for (const [index, value] of each(checks)) check(`healthchecks.${type}[${index}]`, 'healthchecks', value);
  return warnings;
}

/** Heroku's dyno sizes, as the Plat size closest to each. */
function plainSize(path: string, size: string): string {
  const name = size.toLowerCase();
  if (Object.hasOwn(SIZES, name)) return name;
  if (['free', 'eco', 'hobby'].includes(name)) return 'basic';
  if (/^standard-[12]x$/.test(name)) return 'standard';
  if (/^(performance|private|shield)-/.test(name)) return 'performance';
  throw refuse(path, `unknown dyno size ${JSON.stringify(size)}: use ${Object.keys(SIZES).join(', ')}`);
}

/** Heroku's add-ons that have a Plat counterpart. */
const HEROKU_ADDONS: Record<string, string> = {
  'heroku-postgresql': 'postgres',
  'heroku-redis': 'redis',
  'heroku-scheduler': 'scheduler',
};

function addonSpec(path: string, plan: string, warnings: string[]): string {
  const [given = '', planName] = plan.split(':');
  const name = HEROKU_ADDONS[given] ?? given;
  const provider = providers.find((p) => p.name === name);
  if (!provider)
    throw refuse(path, `unknown add-on ${JSON.stringify(given)}: use ${providers.map((p) => p.name).join(', ')}`);
  if (planName === undefined) return name;
  if (provider.plans.some((p) => p.name === planName)) return `${name}:${planName}`;
  // Heroku's plan names (hobby-dev, essential-0) mean nothing here: its plan, not an error.
  if (name !== given) {
    warnings.push(
      `app.json: ${path}: plan ${JSON.stringify(planName)} is Heroku's; using ${name}:${provider.defaultPlan}`,
    );
    return name;
  }
  throw refuse(path, `unknown plan ${JSON.stringify(planName)}: use ${provider.plans.map((p) => p.name).join(', ')}`);
}

/** `heroku/python`, a buildpack's git URL, or a Plat name → the Plat buildpack. */
function buildpackName(path: string, url: string): string {
  const base = url
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .split('/')
    .pop()!
    .replace(/^heroku-buildpack-/, '');
  const name = { nodejs: 'node', python: 'python', static: 'static' }[base] ?? base;
  try {
    return findBuildpack(name).name;
  } catch (error) {
    throw refuse(path, (error as Error).message.replace(/^Unknown/, 'unknown').replace(/\.$/, ''));
  }
}

function readinessPath(
  checks: Record<string, { type?: string; path?: string }[]>,
  warnings: string[],
): string | undefined {
  for (const type of Object.keys(checks).filter((t) => t !== 'web'))
    warnings.push(`app.json: healthchecks.${type}: only web dynos are probed; ignored`);
  const index = (checks.web ?? []).findIndex((c) => c.path !== undefined && (c.type ?? 'startup') !== 'liveness');
  if (index < 0) return undefined;
  const path = checks.web![index]!.path!;
  if (!/^\/[\x21-\x7e]*$/.test(path)) throw refuse(`healthchecks.web[${index}].path`, 'must be a path starting with /');
  return path;
}

/** Reads app.json's text: size and JSON first, then every field; throws invalid_params naming the field. */
export function parseAppJson(source: string): { manifest: AppManifest; warnings: string[] } {
  if (Buffer.byteLength(source) > MAX_APP_JSON_BYTES) throw refuse('', `is over ${MAX_APP_JSON_BYTES / 1024} KB`);
  let raw: unknown;
  try {
    raw = JSON.parse(source);
  } catch (error) {
    throw refuse('', `is not valid JSON (${(error as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw refuse('', 'must be a JSON object');
  const error = firstError(AppJsonSchema, raw);
  if (error) throw refuse(fieldPath(error.path), error.message);
  const valid = raw as typeof AppJsonSchema.static;
  const warnings = unknownFields(raw as Record<string, unknown>);
  const manifest: AppManifest = { env: {}, formation: {}, addons: [], scripts: {} };

  const env = Object.entries(valid.env ?? {});
  if (env.length > MAX_ENTRIES) throw refuse('env', `has over ${MAX_ENTRIES} vars`);
  for (const [key, entry] of env) {
    if (!KEY.test(key)) throw refuse(`env.${key}`, 'is not a config var name (letters, digits and _)');
    if (RESERVED.has(key)) throw refuse(`env.${key}`, 'is set by Plat for every dyno');
    if (typeof entry === 'string') manifest.env[key] = { value: entry, required: true };
    else {
      manifest.env[key] = {
        required: entry.required ?? true,
        ...(entry.description !== undefined ? { description: entry.description } : {}),
        ...(entry.value !== undefined ? { value: entry.value } : {}),
        ...(entry.generator !== undefined ? { generator: entry.generator } : {}),
      };
    }
  }
  const formation = Object.entries(valid.formation ?? {});
  if (formation.length > 20) throw refuse('formation', 'has over 20 process types');
  for (const [type, entry] of formation) {
    if (!PROCESS_TYPE.test(type) || type === 'release')
      throw refuse(
        `formation.${type}`,
        type === 'release' ? 'runs once per release; it cannot be scaled' : 'is not a process type name',
      );
    manifest.formation[type] = {
      ...(entry.quantity !== undefined ? { quantity: entry.quantity } : {}),
      ...(entry.size !== undefined ? { size: plainSize(`formation.${type}.size`, entry.size) } : {}),
    };
  }
  const attachments = new Set<string>();
  for (const [index, entry] of (valid.addons ?? []).entries()) {
    const path = `addons[${index}]`;
    const plan = typeof entry === 'string' ? entry : entry.plan;
    const spec = addonSpec(typeof entry === 'string' ? path : `${path}.plan`, plan, warnings);
    const as = typeof entry === 'string' ? undefined : entry.as;
    if (as !== undefined && !ATTACHMENT.test(as))
      throw refuse(`${path}.as`, 'must be a config var prefix (letters, digits and _)');
    const provider = providers.find((p) => p.name === spec.split(':')[0])!;
    const attachment = (as ?? provider.defaultAttachment).toUpperCase().replace(/_URL$/, '');
    if (attachments.has(attachment)) throw refuse(path, `${attachment} is attached twice: give one of them "as"`);
    attachments.add(attachment);
    manifest.addons.push({ spec, ...(as !== undefined ? { as: attachment } : {}) });
  }
  const postdeploy = valid.scripts?.postdeploy;
  if (postdeploy !== undefined)
    manifest.scripts.postdeploy = typeof postdeploy === 'string' ? postdeploy : postdeploy.command;
  const predestroy = valid.scripts?.['pr-predestroy'];
  if (predestroy !== undefined) manifest.scripts['pr-predestroy'] = predestroy;
  const buildpacks = valid.buildpacks ?? [];
  const names = buildpacks.map((pack, index) => buildpackName(`buildpacks[${index}].url`, pack.url));
  if (names.length > 1)
    warnings.push(
      `app.json: buildpacks: Plat builds with one buildpack; ` +
        `using the last, ${names.at(-1)} (as Heroku's last one decides)`,
    );
  if (names.length > 0) manifest.buildpack = names.at(-1)!;
  const path = readinessPath(valid.healthchecks ?? {}, warnings);
  if (path !== undefined) manifest.readinessPath = path;
  return { manifest, warnings };
}
