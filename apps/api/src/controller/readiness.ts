import { request } from 'node:http';

/**
 * One probe: does anything answer HTTP on 127.0.0.1:port? Any status counts
 * (a Django app may answer 400 for an unknown Host), because the question is
 * whether the process accepts requests, not whether it likes this one.
 * A plain TCP connect is not enough: Docker's port proxy accepts connections
 * before the app listens.
 */
export function probeHttp(port: number, timeoutMs = 2000, path?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: path ?? '/',
        method: 'GET',
        headers: { 'user-agent': 'plat-readiness', connection: 'close' },
        timeout: timeoutMs,
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

export interface WaitOptions {
  timeoutMs: number;
  /** app.json's readiness path: it must answer 2xx or 3xx. */
  path?: string;
  /** Checked between probes; a dyno that exited will never become ready. */
  stillRunning: () => Promise<boolean>;
}

export type Readiness = { ready: true } | { ready: false; reason: 'timeout' | 'exited' };

export async function waitUntilServing(port: number, options: WaitOptions): Promise<Readiness> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = 50;
  while (Date.now() < deadline) {
    if (await probeHttp(port, Math.min(2000, Math.max(100, deadline - Date.now())), options.path))
      return { ready: true };
    if (!(await options.stillRunning())) return { ready: false, reason: 'exited' };
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }
  return { ready: false, reason: 'timeout' };
}
