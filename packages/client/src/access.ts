import type { AuditEvent, Collaborator } from '@plat/core';
import { appPath, queryString, type Transport } from './transport.js';

/** Who besides the owner may use the app. */
export function collaboratorsResource(http: Transport) {
  return {
    list: (app: string): Promise<Collaborator[]> => http.request('GET', appPath(app, '/collaborators')),
    add: (app: string, email: string): Promise<Collaborator> =>
      http.request('POST', appPath(app, '/collaborators'), { email }),
    remove: (app: string, email: string): Promise<void> =>
      http.request('DELETE', appPath(app, `/collaborators/${encodeURIComponent(email)}`)),
  };
}

/** Who did what to the app, newest first; limit: 1 to 1000 (the API's default is 100). */
export function auditEventsResource(http: Transport) {
  return {
    list: (app: string, options: { limit?: number } = {}): Promise<AuditEvent[]> =>
      http.request('GET', appPath(app, `/audit-events${queryString({ limit: options.limit })}`)),
  };
}
