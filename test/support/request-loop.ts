import { get } from './http.js';

export interface LoopResult {
  requests: number;
  failures: { status: number; body: string }[];
}

/**
 * Clients requesting through the router until stopped, bounded by a count
 * and a deadline; every answer that is not a 200 is a failure.
 */
export function requestLoop(options: {
  port: number;
  host: string;
  clients: number;
  maxRequests: number;
  maxMs: number;
}) {
  let stopped = false;
  let requests = 0;
  const failures: LoopResult['failures'] = [];
  const deadline = Date.now() + options.maxMs;
  const client = async () => {
    while (!stopped && requests < options.maxRequests && Date.now() < deadline) {
      requests += 1;
      try {
        const response = await get(options.port, options.host, '/', { timeoutMs: 10_000 });
        if (response.status !== 200) failures.push({ status: response.status, body: response.body.slice(0, 200) });
      } catch (error) {
        failures.push({ status: 0, body: (error as Error).message });
      }
    }
  };
  const running = Promise.all(Array.from({ length: options.clients }, client));
  return {
    async stop(): Promise<LoopResult> {
      stopped = true;
      await running;
      return { requests, failures };
    },
  };
}
