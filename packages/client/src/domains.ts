import type { Domain } from '@plat/core';
import { appPath, type Transport } from './transport.js';

/** Custom domains the router sends to the app. */
export function domainsResource(http: Transport) {
  return {
    list: (app: string): Promise<Domain[]> => http.request('GET', appPath(app, '/domains')),
    add: (app: string, hostname: string): Promise<Domain> =>
      http.request('POST', appPath(app, '/domains'), { hostname }),
    remove: (app: string, hostname: string): Promise<void> =>
      http.request('DELETE', appPath(app, `/domains/${encodeURIComponent(hostname)}`)),
  };
}
