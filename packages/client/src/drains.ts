import type { LogDrain } from '@plat/core';
import { appPath, type Transport } from './transport.js';

/** Log drains: where the app's log stream is also delivered (syslog over TCP or TLS, or HTTPS). */
export function drainsResource(http: Transport) {
  return {
    list: (app: string): Promise<LogDrain[]> => http.request('GET', appPath(app, '/log-drains')),
    add: (app: string, url: string): Promise<LogDrain> => http.request('POST', appPath(app, '/log-drains'), { url }),
    /** By the drain's id or token. */
    remove: (app: string, idOrToken: string): Promise<void> =>
      http.request('DELETE', appPath(app, `/log-drains/${encodeURIComponent(idOrToken)}`)),
  };
}
