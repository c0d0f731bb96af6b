import { request } from 'node:http';

/** Where a dyno is probed: where the router will reach it (127.0.0.1 when no host is given). */
export interface ProbeTarget {
  host?: string;
  port: number;
}

/**
 * One probe: does anything answer HTTP at the target? Any status counts
 * (a Django app may answer 400 for an unknown Host), because the question is
 * whether the process accepts requests, not whether it likes this one.
 * A plain TCP connect is not enough where a port proxy stands in front
 * (Swarm's published ports): it accepts connections before the app listens.
 */
export function probeHttp(target: ProbeTarget, timeoutMs = 2000, path?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: target.host ?? '127.0.0.1',
        port: target.port,
        path: path ?? '/',
        method: 'GET',
        headers: { 'user-agent': 'plat-readiness', connection: 'close' },
        timeout: timeoutMs,
        // A fresh connection per probe: a pooled one could outlive the proxy's.
        agent: false,
      },
      (res) => {
        res.resume();
        // app.json's readiness path must say the app is ready; / only that it answers.
        resolve(path === undefined || (res.statusCode ?? 500) < 400);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Between probes. A probe of a dyno not yet listening costs one connection
 * that its network stack refuses at once, so a short pause finds the
 * app within a few ms of its first listen (a doubling backoff found it up to
 * half its wait late).
 */
export const PROBE_INTERVAL_MS = 5;
/** How often, at most, the runtime is asked whether the dyno still runs (an inspect each). */
export const STATE_CHECK_MS = 250;

export interface WaitOptions {
  timeoutMs: number;
  /** app.json's readiness path: it must answer 2xx or 3xx. */
  path?: string;
  /** Asked every STATE_CHECK_MS at most; a dyno that exited will never become ready. */
  stillRunning: () => Promise<boolean>;
  /** A free word that the dyno died (Docker's events seen), asked after every probe. */
  exited?: () => boolean;
  intervalMs?: number;
  checkEveryMs?: number;
}

export type Readiness = { ready: true } | { ready: false; reason: 'timeout' | 'exited' };

export async function waitUntilServing(target: ProbeTarget, options: WaitOptions): Promise<Readiness> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? PROBE_INTERVAL_MS;
  const checkEvery = options.checkEveryMs ?? STATE_CHECK_MS;
  let checkedAt = Date.now();
  while (Date.now() < deadline) {
    if (await probeHttp(target, Math.min(2000, Math.max(100, deadline - Date.now())), options.path))
      return { ready: true };
    if (options.exited?.()) return { ready: false, reason: 'exited' };
    if (Date.now() - checkedAt >= checkEvery) {
      if (!(await options.stillRunning())) return { ready: false, reason: 'exited' };
      checkedAt = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
  return { ready: false, reason: 'timeout' };
}
