import { parse } from 'smol-toml';
import { PlatError } from '@plat/core';

type Requirement = string | { version?: string; extras?: string[]; git?: string; path?: string };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A Pipfile's [packages] as pip requirement lines, so a Pipfile app installs
 * with the same pip step (and the same layer cache) as requirements.txt.
 * Pipfile.lock pins are used when present.
 */
export function pipfileRequirements(pipfile: string, lock?: string): string {
  let packages: Record<string, Requirement>;
  try {
    packages = (parse(pipfile) as { packages?: Record<string, Requirement> }).packages ?? {};
  } catch (error) {
    throw new PlatError('build_failed', `Pipfile is not valid TOML: ${(error as Error).message}`);
  }
  let pinned: Record<string, { version?: string }> = {};
  if (lock) {
    try {
      pinned = (JSON.parse(lock) as { default?: Record<string, { version?: string }> }).default ?? {};
    } catch {
      throw new PlatError('build_failed', 'Pipfile.lock is not valid JSON');
    }
  }
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(packages)) {
    if (!NAME.test(name)) throw new PlatError('build_failed', `Pipfile: invalid package name ${JSON.stringify(name)}`);
    const locked = pinned[name.toLowerCase()]?.version ?? pinned[name]?.version;
    if (typeof spec === 'object' && (spec.git || spec.path)) {
      throw new PlatError(
        'build_failed',
        `Pipfile: ${name} comes from ${spec.git ? 'git' : 'a path'}; list it in requirements.txt instead`,
      );
    }
    const extras = typeof spec === 'object' && spec.extras?.length ? `[${spec.extras.join(',')}]` : '';
    const version = locked ?? (typeof spec === 'string' ? spec : (spec.version ?? '*'));
    lines.push(`${name}${extras}${version === '*' ? '' : version}`);
  }
  return `${lines.join('\n')}\n`;
}
