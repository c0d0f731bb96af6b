import type { Job, JobCreate } from '@plat/core';
import { appPath, type Transport } from './transport.js';

/** Commands the scheduler add-on runs in one-off dynos on a cron schedule (UTC). */
export function schedulerResource(http: Transport) {
  return {
    list: (app: string): Promise<Job[]> => http.request('GET', appPath(app, '/scheduler/jobs')),
    add: (app: string, job: JobCreate): Promise<Job> => http.request('POST', appPath(app, '/scheduler/jobs'), job),
    remove: (app: string, id: string): Promise<void> =>
      http.request('DELETE', appPath(app, `/scheduler/jobs/${encodeURIComponent(id)}`)),
  };
}
