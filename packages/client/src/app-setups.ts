import type { AppSetup, AppSetupCreate, Feature } from '@plat/core';
import { appPath, type Transport } from './transport.js';

/** App setups: an app made from an app.json in one step (plat apps:setup, apps:create --manifest). */
export function appSetupsResource(http: Transport) {
  return {
    create: (setup: AppSetupCreate): Promise<AppSetup> => http.request('POST', '/v1/app-setups', setup),
  };
}

/** Labs features of an app (plat labs). */
export function featuresResource(http: Transport) {
  return {
    list: (app: string): Promise<Feature[]> => http.request('GET', appPath(app, '/features')),
    set: (app: string, feature: string, enabled: boolean): Promise<Feature> =>
      http.request('PATCH', appPath(app, `/features/${encodeURIComponent(feature)}`), { enabled }),
  };
}
