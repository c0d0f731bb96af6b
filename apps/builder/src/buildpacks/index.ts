import { PlatError } from '@plat/core';
import type { Source } from '../source.js';
import type { Buildpack } from './buildpack.js';
import { dockerfile } from './dockerfile.js';
import { node } from './node.js';
import { procfileOnly } from './procfile.js';
import { python } from './python.js';
import { staticSite } from './static.js';

export type { Buildpack, BuildPlan, PlanContext } from './buildpack.js';

/**
 * Buildpacks in the order detection tries them; the first match builds. A
 * Dockerfile wins (the app asked for it); a Procfile alone is the fallback.
 */
export const buildpacks: readonly Buildpack[] = [dockerfile, python, node, staticSite, procfileOnly];

export function findBuildpack(name: string): Buildpack {
  const found = buildpacks.find((pack) => pack.name === name);
  if (!found)
    throw new PlatError(
      'invalid_params',
      `Unknown buildpack ${JSON.stringify(name)}: use one of ${buildpacks.map((p) => p.name).join(', ')}.`,
    );
  return found;
}

/** The app's chosen buildpack when it set one (plat buildpacks:set), else the first that detects it. */
export function detectBuildpack(source: Source, chosen?: string | null): Buildpack {
  if (chosen) return findBuildpack(chosen);
  const found = buildpacks.find((pack) => pack.detect(source));
  if (!found) {
    throw new PlatError(
      'no_buildpack',
      'No buildpack detected this app: add requirements.txt, pyproject.toml, setup.py or Pipfile (Python), ' +
        'package.json (Node.js), index.html or static.json (static site), a Dockerfile, or a Procfile.',
    );
  }
  return found;
}
