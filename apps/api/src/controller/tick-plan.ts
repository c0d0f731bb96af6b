/**
 * What the periodic converge (the controller's tick) looks at, as data: one
 * Docker listing for every app, grouped by app, and which apps it can pass
 * over because nothing changed since their last converge found nothing to do.
 * Pure; the controller keeps the state.
 */
import type { ObservedDyno } from './reconcile.js';

/**
 * Every app is converged in full once in FULL_PASS_EVERY ticks, whatever the
 * listing says (time-based rules, anything missed): a tenth of the apps on
 * each tick, by a hash of the name, so hundreds of apps do not all query the
 * store in one tick.
 */
export const FULL_PASS_EVERY = 10;

/** Whether tick number `tick` is the app's full pass. */
export function fullPassDue(app: string, tick: number): boolean {
  let hash = 0;
  for (let index = 0; index < app.length; index += 1) hash = (hash * 31 + app.charCodeAt(index)) >>> 0;
  return hash % FULL_PASS_EVERY === tick % FULL_PASS_EVERY;
}

/** One listing of every formation container, by app (the `plat.app` label). */
export function groupByApp(dynos: ObservedDyno[]): Map<string, ObservedDyno[]> {
  const byApp = new Map<string, ObservedDyno[]>();
  for (const dyno of dynos) {
    const list = byApp.get(dyno.app);
    if (list) list.push(dyno);
    else byApp.set(dyno.app, [dyno]);
  }
  return byApp;
}

/** The app's containers as the controller plans with them: same fingerprint, same plan (for the same database rows). */
export function fingerprint(dynos: ObservedDyno[]): string {
  return dynos
    .map((dyno) => `${dyno.id}:${dyno.key}:${dyno.running ? 1 : 0}:${dyno.address ?? ''}:${dyno.port ?? ''}`)
    .sort()
    .join(',');
}

/**
 * Whether the tick may pass over the app: its last converge found nothing to
 * do with exactly these containers. A change in the database converges its
 * own app; a dyno that died or went shows in the fingerprint.
 */
export function unchangedSince(quiet: string | undefined, observed: ObservedDyno[], fullPass: boolean): boolean {
  return !fullPass && quiet !== undefined && quiet === fingerprint(observed);
}
