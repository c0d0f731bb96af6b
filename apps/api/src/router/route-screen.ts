/**
 * Keeps one app's bad route from taking the router down for everyone: when
 * the whole set fails `nginx -t`, the routes are added back one app at a
 * time and, within an app that fails, one hostname at a time. What nginx
 * refuses is left out and reported; everything else is installed.
 */
import type { RouteTarget } from './nginx-config.js';

/** Undefined when nginx takes these routes; else why not. */
export type RouteTest = (routes: RouteTarget[]) => Promise<string | undefined>;

export interface Refusal {
  app: string;
  /** The hostname left out; absent when the whole app is. */
  hostname?: string;
  reason: string;
}

export interface Screened {
  routes: RouteTarget[];
  /** Refusals this screening found, not those already known. */
  refused: Refusal[];
}

const keyOf = (app: string, hostname?: string) => (hostname === undefined ? app : `${app} ${hostname}`);

/**
 * Refusals found earlier, so a bad row costs one `nginx -t` per change, not
 * one per app; forgotten once the app or hostname is no longer asked for.
 */
export class KnownRefusals {
  readonly #reasons = new Map<string, string>();

  has(app: string, hostname?: string): boolean {
    return this.#reasons.has(keyOf(app, hostname));
  }

  add(refusal: Refusal): void {
    this.#reasons.set(keyOf(refusal.app, refusal.hostname), refusal.reason);
  }

  /** Forgets every refusal, returning what was known. */
  clear(): Set<string> {
    const known = new Set(this.#reasons.keys());
    this.#reasons.clear();
    return known;
  }

  retainOnly(routes: RouteTarget[]): void {
    const asked = new Set(
      routes.flatMap((route) => [keyOf(route.app), ...route.hostnames.map((hostname) => keyOf(route.app, hostname))]),
    );
    for (const key of this.#reasons.keys()) if (!asked.has(key)) this.#reasons.delete(key);
  }

  /** The routes less what is known to be refused. */
  without(routes: RouteTarget[]): RouteTarget[] {
    return routes
      .filter((route) => !this.has(route.app))
      .map((route) => ({ ...route, hostnames: route.hostnames.filter((hostname) => !this.has(route.app, hostname)) }))
      .filter((route) => route.hostnames.length > 0);
  }
}

export async function screenRoutes(routes: RouteTarget[], test: RouteTest, known: KnownRefusals): Promise<Screened> {
  known.retainOnly(routes);
  const hopeful = known.without(routes);
  if ((await test(hopeful)) === undefined) return { routes: hopeful, refused: [] };
  // Something new broke, or an old refusal no longer holds: start afresh.
  const earlier = known.clear();
  const bare = await test([]);
  if (bare !== undefined) throw new Error(`the router's config fails with no apps at all: ${bare}`);
  const kept: RouteTarget[] = [];
  const refused: Refusal[] = [];
  for (const route of [...routes].sort((a, b) => a.app.localeCompare(b.app))) {
    const whole = await test([...kept, route]);
    if (whole === undefined) {
      kept.push(route);
      continue;
    }
    const hostnames: string[] = [];
    const dropped: Refusal[] = [];
    for (const hostname of route.hostnames) {
      const reason = await test([...kept, { ...route, hostnames: [...hostnames, hostname] }]);
      if (reason === undefined) hostnames.push(hostname);
      else dropped.push({ app: route.app, hostname, reason });
    }
    // When no hostname passes, the app itself is what nginx refuses.
    if (hostnames.length === 0) {
      refused.push({ app: route.app, reason: whole });
    } else {
      kept.push({ ...route, hostnames });
      refused.push(...dropped);
    }
  }
  for (const refusal of refused) known.add(refusal);
  return { routes: kept, refused: refused.filter((refusal) => !earlier.has(keyOf(refusal.app, refusal.hostname))) };
}

/** nginx's own complaint from `nginx -t` output, without timestamps, pids and file paths. */
export function nginxComplaint(output: string): string {
  const lines = output
    .split('\n')
    .filter((line) => /\[(emerg|alert|crit)\]/.test(line))
    .map((line) => line.replace(/^.*?\[(emerg|alert|crit)\] (\d+#\d+: )?/, '').replace(/ in \/\S+:\d+$/, ''));
  return lines.length > 0 ? lines.join('; ') : output.trim() || 'nginx -t failed without a message';
}
