import type { DynoSpec } from './dyno-spec.js';

/** A dyno container as observed in Docker. */
export interface ObservedDyno {
  id: string;
  /** The desired dyno it serves (label), see DynoSpec.key. */
  key: string;
  containerName: string;
  app: string;
  dyno: string;
  process: string;
  releaseId: string;
  running: boolean;
  /** The port the router reaches a running web dyno on, at `address`. */
  port?: number;
  /** The swarm node it runs on (the swarm runtime). */
  node?: string;
  /**
   * Where that port is: the dyno's address on its app's network (Docker), its swarm node's (a
   * port Swarm publishes), or 127.0.0.1 when unset (Swarm on this node, the tests' fake runtime).
   */
  address?: string;
  /** The runtime's own word for its state when it is not simply running (a Swarm task's: `starting`, `failed`). */
  state?: string;
  version: number;
  command: string;
  createdAt: Date;
  /** Exit code of a dyno that is not running, when Docker knows it. */
  exitCode?: number;
  /** A one-off (release phase, plat run): never the formation's. Runtimes leave them out of listDynos. */
  oneOff?: boolean;
}

export interface ReconcilePlan {
  /** Desired dynos with no running container yet. */
  start: DynoSpec[];
  /** Running containers that already serve a desired dyno. */
  keep: ObservedDyno[];
  /** Containers that are not desired (old releases, scaled away, dead). */
  remove: ObservedDyno[];
}

/**
 * Desired against actual: pure, level-triggered. A container matches a
 * desired dyno when it runs the same dyno of the same release and restart
 * generation (its key); anything else
 * goes, but only after its replacements are up (the executor's job).
 */
export function planReconcile(desired: DynoSpec[], actual: ObservedDyno[]): ReconcilePlan {
  const keep: ObservedDyno[] = [];
  const start: DynoSpec[] = [];
  const claimed = new Set<string>();
  for (const spec of desired) {
    const match = actual.find((dyno) => !claimed.has(dyno.id) && dyno.running && dyno.key === spec.key);
    if (match) {
      claimed.add(match.id);
      keep.push(match);
    } else {
      start.push(spec);
    }
  }
  const remove = actual.filter((dyno) => !claimed.has(dyno.id));
  return { start, keep, remove };
}
