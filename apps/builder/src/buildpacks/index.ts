import { PlatError } from '@plat/core';
import type { Source } from '../source.js';
import type { Buildpack } from './buildpack.js';
import { python } from './python.js';

export type { Buildpack, BuildPlan, PlanContext } from './buildpack.js';

/** Buildpacks in the order detection tries them; the first match builds. */
export const buildpacks: readonly Buildpack[] = [python];

export function detectBuildpack(source: Source): Buildpack {
  const found = buildpacks.find((pack) => pack.detect(source));
  if (!found) {
    throw new PlatError(
      'no_buildpack',
      'No buildpack detected this app: add requirements.txt, pyproject.toml, setup.py or Pipfile (Python).',
    );
  }
  return found;
}
