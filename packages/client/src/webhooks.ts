import type { Webhook, WebhookCreate, WebhookCreated, WebhookDelivery, WebhookUpdate } from '@plat/core';
import { appPath, queryString, type Transport } from './transport.js';

/** The app's webhooks and their deliveries. */
export function webhooksResource(http: Transport) {
  return {
    list: (app: string): Promise<Webhook[]> => http.request('GET', appPath(app, '/webhooks')),
    get: (app: string, id: string): Promise<Webhook> =>
      http.request('GET', appPath(app, `/webhooks/${encodeURIComponent(id)}`)),
    /** The answer carries the secret Plat made when none was given: shown only now. */
    add: (app: string, webhook: WebhookCreate): Promise<WebhookCreated> =>
      http.request('POST', appPath(app, '/webhooks'), webhook),
    update: (app: string, id: string, changes: WebhookUpdate): Promise<Webhook> =>
      http.request('PATCH', appPath(app, `/webhooks/${encodeURIComponent(id)}`), changes),
    remove: (app: string, id: string): Promise<void> =>
      http.request('DELETE', appPath(app, `/webhooks/${encodeURIComponent(id)}`)),
    deliveries: (app: string, query: { webhook?: string; limit?: number } = {}): Promise<WebhookDelivery[]> =>
      http.request('GET', appPath(app, `/webhook-deliveries${queryString(query)}`)),
  };
}
