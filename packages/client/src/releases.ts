import type { Build, BuildWithOutput, Release, Rollback } from '@plat/core';
import { appPath, type Transport } from './transport.js';

/** Releases, newest first; a rollback is a new release. */
export function releasesResource(http: Transport) {
  return {
    list: (app: string): Promise<Release[]> => http.request('GET', appPath(app, '/releases')),
    /** ref: a version (3, v3) or a release id. */
    get: (app: string, ref: string): Promise<Release> =>
      http.request('GET', appPath(app, `/releases/${encodeURIComponent(ref)}`)),
    /** release: a version (3, "v3") or a release id. */
    rollback: (app: string, release: Rollback['release']): Promise<Release> =>
      http.request('POST', appPath(app, '/releases'), { release }),
  };
}

/** Builds, newest first; one build with its full output. */
export function buildsResource(http: Transport) {
  return {
    list: (app: string): Promise<Build[]> => http.request('GET', appPath(app, '/builds')),
    get: (app: string, id: string): Promise<BuildWithOutput> =>
      http.request('GET', appPath(app, `/builds/${encodeURIComponent(id)}`)),
  };
}
