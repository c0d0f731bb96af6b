import type { DetachedRun, Dyno, FormationEntry, FormationUpdate } from '@plat/core';
import { appPath, type Transport } from './transport.js';

/** Process types with their quantity and size. */
export function formationResource(http: Transport) {
  return {
    list: (app: string): Promise<FormationEntry[]> => http.request('GET', appPath(app, '/formation')),
    update: (app: string, updates: FormationUpdate[]): Promise<FormationEntry[]> =>
      http.request('PATCH', appPath(app, '/formation'), updates),
  };
}

/** Dynos as they run; restarts, stops and background one-offs. */
export function dynosResource(http: Transport) {
  return {
    list: (app: string): Promise<Dyno[]> => http.request('GET', appPath(app, '/dynos')),
    /** target: a process type (web) or a dyno (web.2); all dynos when absent. */
    restart: (app: string, target?: string): Promise<void> =>
      http.request('DELETE', appPath(app, target ? `/dynos/${encodeURIComponent(target)}` : '/dynos')),
    stop: (app: string, target: string): Promise<void> =>
      http.request('POST', appPath(app, `/dynos/${encodeURIComponent(target)}/actions/stop`)),
    /** A one-off dyno in the background (plat run:detached); its output goes to the logs. */
    run: (app: string, command: string): Promise<DetachedRun> =>
      http.request('POST', appPath(app, '/dynos'), { command }),
  };
}
