import { describe, expect, it } from 'vitest';
import { fieldPath, MAX_APP_JSON_BYTES, parseAppJson } from './app-json.js';
import { missingMessage, planManifest } from './plan.js';

const parse = (value: unknown) => parseAppJson(JSON.stringify(value));
const refusal = (value: unknown) => {
  try {
    parse(value);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('app.json', () => {
  it('reads env, formation, add-ons, scripts, buildpacks and a readiness path', () => {
    const { manifest, warnings } = parse({
      name: 'Shop',
      description: 'A shop',
      env: {
        GREETING: 'hello',
        SECRET_KEY: { description: 'signs cookies', generator: 'secret' },
        API_TOKEN: { description: 'the API token', required: true },
        OPTIONAL: { required: false },
      },
      formation: { web: { quantity: 2, size: 'standard-2x' }, worker: { quantity: 1 } },
      addons: ['heroku-redis:mini', { plan: 'postgres:standard', as: 'analytics_db' }],
      scripts: { postdeploy: 'python seed.py', 'pr-predestroy': 'python cleanup.py' },
      buildpacks: [{ url: 'heroku/python' }],
      healthchecks: { web: [{ type: 'startup', name: 'web check', path: '/health', attempts: 3 }] },
    });
    expect(warnings).toEqual([]);
    expect(manifest).toEqual({
      env: {
        GREETING: { value: 'hello', required: true },
        SECRET_KEY: { description: 'signs cookies', generator: 'secret', required: true },
        API_TOKEN: { description: 'the API token', required: true },
        OPTIONAL: { required: false },
      },
      formation: { web: { quantity: 2, size: 'standard' }, worker: { quantity: 1 } },
      addons: [{ spec: 'redis:mini' }, { spec: 'postgres:standard', as: 'ANALYTICS_DB' }],
      scripts: { postdeploy: 'python seed.py', 'pr-predestroy': 'python cleanup.py' },
      buildpack: 'python',
      readinessPath: '/health',
    });
  });

  it('refuses an invalid field, naming its path', () => {
    expect(refusal({ env: { SECRET_KEY: { generator: 'uuid' } } })).toBe(
      'app.json: env.SECRET_KEY.generator: must be "secret"',
    );
    expect(refusal({ formation: { web: { quantity: -1 } } })).toBe(
      'app.json: formation.web.quantity: must be 0 to 100',
    );
    expect(refusal({ formation: { web: { size: 'huge' } } })).toMatch(
      /^app\.json: formation\.web\.size: unknown dyno size "huge"/,
    );
    expect(refusal({ addons: ['redis', 'mysql'] })).toMatch(/^app\.json: addons\[1\]: unknown add-on "mysql"/);
    expect(refusal({ addons: [{ plan: 'redis:gold' }] })).toMatch(/^app\.json: addons\[0\]\.plan: unknown plan "gold"/);
    expect(refusal({ addons: ['redis', 'redis:premium'] })).toMatch(/^app\.json: addons\[1\]: REDIS is attached twice/);
    expect(refusal({ env: { PORT: '80' } })).toBe('app.json: env.PORT: is set by Plat for every dyno');
    expect(refusal({ env: { 'BAD-NAME': 'x' } })).toMatch(/^app\.json: env\.BAD-NAME: is not a config var name/);
    expect(refusal({ env: { X: 3 } })).toMatch(/^app\.json: env\.X: must be a string or an object/);
    expect(refusal({ scripts: { postdeploy: 42 } })).toBe('app.json: scripts.postdeploy: must be a command line');
    expect(refusal({ buildpacks: [{ url: 'heroku/go' }] })).toMatch(
      /^app\.json: buildpacks\[0\]\.url: unknown buildpack "go"/,
    );
    expect(refusal({ healthchecks: { web: [{ path: 'health' }] } })).toBe(
      'app.json: healthchecks.web[0].path: must be a path starting with /',
    );
    expect(refusal([])).toBe('app.json: must be a JSON object');
    expect(() => parseAppJson('{"env": ')).toThrow(/^app\.json: is not valid JSON/);
  });

  it('refuses a file over 64 KB before parsing it', () => {
    const big = JSON.stringify({ description: 'x'.repeat(MAX_APP_JSON_BYTES) });
    expect(() => parseAppJson(big)).toThrow('app.json: is over 64 KB');
  });

  it('ignores unknown fields with a warning, and keeps the last of several buildpacks', () => {
    const { manifest, warnings } = parse({
      stack: 'heroku-22',
      environments: { test: {} },
      env: { A: { value: 'a', secret: true } },
      buildpacks: [{ url: 'heroku/nodejs' }, { url: 'https://github.com/heroku/heroku-buildpack-python.git' }],
      addons: ['heroku-postgresql:essential-0'],
    });
    expect(warnings).toEqual([
      'app.json: stack is not used by Plat; ignored',
      'app.json: environments is not used by Plat; ignored',
      'app.json: env.A.secret is not used by Plat; ignored',
      'app.json: addons[0]: plan "essential-0" is Heroku\'s; using postgres:hobby',
      "app.json: buildpacks: Plat builds with one buildpack; using the last, python (as Heroku's last one decides)",
    ]);
    expect(manifest.buildpack).toBe('python');
    expect(manifest.addons).toEqual([{ spec: 'postgres' }]);
  });

  it('turns JSON pointers into field paths', () => {
    expect(fieldPath('/env/SECRET_KEY/generator')).toBe('env.SECRET_KEY.generator');
    expect(fieldPath('/addons/0/plan')).toBe('addons[0].plan');
    expect(fieldPath('/healthchecks/web/1/path')).toBe('healthchecks.web[1].path');
  });
});

describe('planning app.json for an app', () => {
  const { manifest } = parse({
    env: {
      GREETING: 'hello',
      SECRET_KEY: { generator: 'secret' },
      API_TOKEN: { description: 'the API token' },
      OPTIONAL: { required: false },
    },
    formation: { web: { quantity: 2 } },
    addons: ['redis'],
    scripts: { postdeploy: 'echo seeded' },
  });
  const options = { secret: () => 'f'.repeat(64), defaultAttachment: () => 'REDIS' };

  it('sets defaults and secrets, and names required vars nobody gave', () => {
    const plan = planManifest(manifest, { config: {}, addons: [] }, options);
    expect(plan.config).toEqual({ GREETING: 'hello', SECRET_KEY: 'f'.repeat(64) });
    expect(plan.missing).toEqual([{ key: 'API_TOKEN', description: 'the API token' }]);
    expect(missingMessage(plan.missing, 'Set it.')).toBe(
      'app.json requires a config var with no value: API_TOKEN (the API token). Set it.',
    );
    expect(plan.formation).toEqual([{ type: 'web', quantity: 2 }]);
    expect(plan.addons).toEqual([{ spec: 'redis' }]);
    expect(plan.postdeploy).toBe('echo seeded');
  });

  it('keeps what the app has, takes given values, and skips add-ons already attached', () => {
    const plan = planManifest(
      manifest,
      { config: { SECRET_KEY: 'kept', API_TOKEN: 't' }, addons: [{ attachment: 'REDIS' }] },
      { ...options, given: { GREETING: 'hi', EXTRA: '1' } },
    );
    expect(plan.config).toEqual({ GREETING: 'hi', EXTRA: '1' });
    expect(plan.missing).toEqual([]);
    expect(plan.addons).toEqual([]);
  });
});
