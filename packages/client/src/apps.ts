import type { App, AppUpdate, ConfigVars, ConfigVarsPatch } from '@plat/core';
import { appPath, queryString, type Transport } from './transport.js';

/** Apps: list, create, show (its web and git URLs), rename, maintenance, buildpack, destroy. */
export function appsResource(http: Transport) {
  return {
    /** All the apps the user may see: every page. */
    list: (): Promise<App[]> => http.all('/v1/apps'),
    /** One page (`range`: a Range header such as `name ..; max=50`, or the last page's nextRange). */
    page: (range?: string): Promise<{ items: App[]; nextRange?: string }> => http.page('/v1/apps', range),
    get: (app: string): Promise<App> => http.request('GET', appPath(app)),
    /** A name is generated when none is given. */
    create: (name?: string): Promise<App> => http.request('POST', '/v1/apps', name === undefined ? {} : { name }),
    update: (app: string, changes: AppUpdate): Promise<App> => http.request('PATCH', appPath(app), changes),
    /** confirm: the app's name again. */
    destroy: (app: string, confirm: string): Promise<void> =>
      http.request('DELETE', appPath(app, queryString({ confirm }))),
  };
}

/** Config vars: all of them, and a batch of sets and unsets (null unsets). */
export function configVarsResource(http: Transport) {
  return {
    get: (app: string): Promise<ConfigVars> => http.request('GET', appPath(app, '/config-vars')),
    /** The app's config vars after the change, and the version of the release it made. */
    update: async (app: string, changes: ConfigVarsPatch): Promise<{ config: ConfigVars; release?: number }> => {
      const { body, header } = await http.exchange<ConfigVars>('PATCH', appPath(app, '/config-vars'), changes);
      const release = header('plat-release-version') ?? '';
      return { config: body, ...(/^\d{1,9}$/.test(release) ? { release: Number(release) } : {}) };
    },
  };
}
