import type { Alert } from '@plat/core';
import { appPath, queryString, type Transport } from './transport.js';

/** Open alerts (and, with all, resolved ones) of one app or of all yours, with the platform's. */
export function alertsResource(http: Transport) {
  return {
    list: (options: { app?: string; all?: boolean } = {}): Promise<Alert[]> => {
      const query = queryString({ all: options.all ? 'true' : undefined });
      return http.request('GET', options.app ? appPath(options.app, `/alerts${query}`) : `/v1/alerts${query}`);
    },
  };
}
