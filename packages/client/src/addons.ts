import type { AddonCreate, AddonInfo, AddonServiceInfo } from '@plat/core';
import { appPath, queryString, type Transport } from './transport.js';

const addonPath = (app: string, addon: string, rest = '') =>
  appPath(app, `/addons/${encodeURIComponent(addon)}${rest}`);

/** Add-ons: the providers on offer, and an app's add-ons from provisioning to destruction. */
export function addonsResource(http: Transport) {
  return {
    services: (): Promise<AddonServiceInfo[]> => http.request('GET', '/v1/addon-services'),
    list: (app: string): Promise<AddonInfo[]> => http.request('GET', appPath(app, '/addons')),
    get: (app: string, addon: string): Promise<AddonInfo> => http.request('GET', addonPath(app, addon)),
    /** plan: provider or provider:plan; as: the attachment (ANALYTICS_DATABASE sets ANALYTICS_DATABASE_URL). */
    create: (app: string, addon: AddonCreate): Promise<AddonInfo> =>
      http.request('POST', appPath(app, '/addons'), addon),
    /** Restarts the add-on's server; its data stays. */
    restart: (app: string, addon: string): Promise<void> =>
      http.request('POST', addonPath(app, addon, '/actions/restart')),
    /** confirm: the add-on's name again. */
    destroy: (app: string, addon: string, confirm: string): Promise<void> =>
      http.request('DELETE', addonPath(app, addon, queryString({ confirm }))),
  };
}
