/**
 * One converge of one app as data: which containers to clear, which dynos
 * to start, what to route, which containers to retire. Pure, with the clock
 * and the crash records passed in; the controller carries the plan out in
 * this order, which is what makes a rollout lose no request:
 *
 *   1. clear    dead containers (they serve nothing)
 *   2. start    new dynos, all at once; web ones must answer on $PORT
 *   3. route    the kept and the started web dynos, once all of them answer
 *   4. retire   the running containers no longer wanted, once the route is live
 *
 * If a started dyno does not come up, steps 3 and 4 do not happen: the
 * dynos serving before keep serving.
 */
import { servedCertificates, type ServableCertificate } from '../certs/served.js';
import type { RouteTarget } from '../router/router.js';
import { crashKey, type CrashTracker } from './crash-backoff.js';
import type { DynoSpec } from './dyno-spec.js';
import { planReconcile, type ObservedDyno } from './reconcile.js';

export interface RolloutInput {
  /** The app as stored; undefined when it is gone (destroyed or renamed) or being destroyed. */
  app: { name: string; maintenance: boolean } | undefined;
  /** The app's own hostname (`<app>.<PLAT_DOMAIN>`). */
  hostname: string;
  /** Its custom domains. */
  domains: string[];
  /** Its stored certificates with a chain (certs/served.ts picks what each hostname is served). */
  certificates?: ServableCertificate[];
  /** An eco app asleep: its web dynos are not in `desired`, and the route wakes it on a request. */
  asleep?: boolean;
  /** Dynos of the release to run and its formation; empty when the app has no release with an image. */
  desired: DynoSpec[];
  /** Its formation containers as observed: less those being retired, dead ones marked not running. */
  actual: ObservedDyno[];
  crashes: Pick<CrashTracker, 'holding'>;
  now: number;
}

/** The app is gone: every container goes and its route with it. */
export interface Teardown {
  kind: 'teardown';
  retire: ObservedDyno[];
}

export interface Rollout {
  kind: 'rollout';
  /** Dead containers, removed first; not those of held dynos, which plat ps shows as crashed. */
  clear: ObservedDyno[];
  /** Desired dynos with no running container: started now. */
  start: DynoSpec[];
  /** Desired dynos waiting out a crash backoff: a later converge starts them. */
  held: DynoSpec[];
  /** Running containers that already serve a desired dyno. */
  keep: ObservedDyno[];
  /** The route with the kept web dynos; routeWith adds the started ones once they answer. */
  route: RouteTarget;
  /** Running containers no longer wanted (old releases, scaled away): stopped once the route is live. */
  retire: ObservedDyno[];
  /** Crash records to keep: those of desired and observed dynos. The rest are forgotten. */
  crashKeys: Set<string>;
}

export type RolloutPlan = Teardown | Rollout;

export function planRollout(input: RolloutInput): RolloutPlan {
  // One-offs (release phase, plat run) are not the formation's to start or stop.
  const actual = input.actual.filter((dyno) => !dyno.oneOff);
  const { app } = input;
  if (!app) return { kind: 'teardown', retire: actual };
  const matched = planReconcile(input.desired, actual);
  const isHeld = (spec: DynoSpec) => input.crashes.holding(crashKey(app.name, spec.releaseId, spec.dyno), input.now);
  const held = matched.start.filter(isHeld);
  const heldKeys = new Set(held.map((spec) => spec.key));
  return {
    kind: 'rollout',
    clear: matched.remove.filter((dyno) => !dyno.running && !heldKeys.has(dyno.key)),
    start: matched.start.filter((spec) => !heldKeys.has(spec.key)),
    held,
    keep: matched.keep,
    route: routeWith(routeOf(app, input), matched.keep),
    retire: matched.remove.filter((dyno) => dyno.running),
    crashKeys: new Set([...input.desired, ...actual].map((dyno) => crashKey(app.name, dyno.releaseId, dyno.dyno))),
  };
}

/** The app's route without dynos: its hostnames, and the certificates serving them over HTTPS. */
function routeOf(app: { name: string; maintenance: boolean }, input: RolloutInput): RouteTarget {
  const hostnames = [input.hostname, ...input.domains];
  const certificates = servedCertificates(hostnames, input.certificates ?? [], new Date(input.now));
  return {
    app: app.name,
    hostnames,
    dynos: [],
    maintenance: app.maintenance,
    ...(input.asleep ? { asleep: true } : {}),
    ...(certificates.length > 0 ? { certificates } : {}),
  };
}

/** The route with these dynos added: web dynos with a published port only. */
export function routeWith(route: RouteTarget, dynos: ObservedDyno[]): RouteTarget {
  const serving = dynos.filter((dyno) => dyno.process === 'web' && dyno.port);
  const routed = serving.map((dyno) => ({
    name: dyno.dyno,
    port: dyno.port!,
    ...(dyno.address ? { host: dyno.address } : {}),
  }));
  return { ...route, dynos: [...route.dynos, ...routed] };
}

/** Whether two routes are the same (certificates included); a route that is the same needs no router apply. */
export function sameRoute(a: RouteTarget | undefined, b: RouteTarget | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b));
}
