import type { AppEvent } from '@plat/core';

/**
 * The live `dyno` event of a dyno that came up (a web dyno answering and
 * routed, another type's container started), shaped as the `dyno` webhook's
 * other states are (webhooks/resources.ts dynoEvent). Only the live views get
 * it: the webhook keeps Heroku's create/update of starting, crashed and sleeping.
 */
export function dynoUpEvent(
  app: { id: string; name: string },
  change: { dyno: string; releaseId: string },
): Omit<AppEvent, 'seq' | 'at'> {
  return {
    type: 'dyno',
    action: 'update',
    data: {
      app: { id: app.id, name: app.name },
      name: change.dyno,
      type: change.dyno.split('.')[0],
      state: 'up',
      release: { id: change.releaseId },
    },
  };
}
