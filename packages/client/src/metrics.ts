import type { Metrics } from '@plat/core';
import { appPath, queryString, type Transport } from './transport.js';

export interface MetricsOptions {
  /** A duration back from now (`1h`, `24h`, `30d`) or an ISO time; default 1h. */
  since?: string;
  /** Resolution in seconds: 10 or 300. */
  step?: 10 | 300;
  /** Only this process type, or add-on. */
  type?: string;
}

/** The app's dyno and add-on metrics, one series per container. */
export function metricsResource(http: Transport) {
  return (app: string, options: MetricsOptions = {}): Promise<Metrics> =>
    http.request(
      'GET',
      appPath(app, `/metrics${queryString({ since: options.since, step: options.step, type: options.type })}`),
    );
}
