/**
 * Eco dynos as data: when an app is asleep, which apps to put to sleep, how
 * often to look. Pure, with the clock and the request times passed in;
 * eco-sleep.ts carries the decisions out.
 */

/** The dyno size that sleeps when idle (Heroku's eco). */
export const ECO_SIZE = 'eco';

/**
 * Whether the app's web dynos are asleep: marked asleep, and its web process
 * still eco and scaled above 0. A mark left from before a resize or a scale
 * to 0 does not count (the controller clears it).
 */
export function webAsleep(
  formation: { type: string; quantity: number; size: string }[],
  sleepingSince: Date | undefined,
): boolean {
  const web = formation.find((entry) => entry.type === 'web');
  return sleepingSince !== undefined && web?.size === ECO_SIZE && web.quantity > 0;
}

export interface IdleInput<T extends { name: string }> {
  /** Awake eco apps. */
  apps: T[];
  /** When the router last logged a request for the app (its log file written), if ever. */
  lastRequestAt: (app: string) => number | undefined;
  /** When the app last woke, or served through the wake listener, in this platd. */
  lastWokeAt: (app: string) => number | undefined;
  /** Apps with no web dyno routed, or with a wake under way: nothing to put to sleep. */
  skip: (app: string) => boolean;
  /** platd's start: an app with no request since counts from here. */
  startedAt: number;
  now: number;
  sleepMs: number;
}

/** The awake eco apps that had no request for sleepMs: those to put to sleep now. */
export function idleApps<T extends { name: string }>(input: IdleInput<T>): T[] {
  return input.apps.filter((app) => {
    if (input.skip(app.name)) return false;
    const last = Math.max(input.startedAt, input.lastRequestAt(app.name) ?? 0, input.lastWokeAt(app.name) ?? 0);
    return input.now - last >= input.sleepMs;
  });
}

/** How often to look for idle apps: a quarter of the idle time, between half a second and a minute. */
export function sleepCheckIntervalMs(sleepMs: number): number {
  return Math.min(60_000, Math.max(500, Math.floor(sleepMs / 4)));
}

/** How a wake's duration is shown: seconds with one decimal, `1.4`. */
export function wakeSeconds(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(1);
}

/** The router's code for a failed wake, from the controller's message (`R10: web.1 did not ...`). */
export function wakeErrorCode(message: string): string {
  return /^(H10|R10|H14):/.exec(message)?.[1] ?? 'H10';
}
