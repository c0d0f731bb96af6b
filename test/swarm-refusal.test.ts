/**
 * platd refuses PLAT_RUNTIME=swarm on a Docker Engine that is no swarm
 * manager (issue 16): only a manager places services, so it stops at start
 * with exit code 1 and a message naming the setting, the Engine's swarm
 * state and the command that makes one. Runs only while this Engine is in
 * no swarm (a test's swarm, or the operator's, would make it a manager);
 * it makes none. Needs Docker: run under `flock /tmp/plat-docker.lock`.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { SwarmServices } from '../apps/api/src/controller/swarm/services.js';
import { startPlatd } from './support/platd.js';

describe('PLAT_RUNTIME=swarm on an Engine in no swarm', () => {
  it('stops platd at start with exit code 1, saying why and what to run', async (context) => {
    const services = new SwarmServices({ docker: new Docker(), instance: `t${randomBytes(4).toString('hex')}` });
    const { state } = await services.swarmState();
    if (state !== 'inactive') context.skip(`this Engine is in a swarm (${state}): nothing to refuse`);
    const started = startPlatd({ env: { PLAT_RUNTIME: 'swarm' } });
    await expect(started).rejects.toThrow(/platd exited with 1 before it was ready/);
    await expect(started).rejects.toThrow(
      'platd could not start: PLAT_RUNTIME=swarm needs this Docker Engine to be a swarm manager (it is inactive): ' +
        'run `docker swarm init`',
    );
    // Refused before the data dir and the state server were made (main.ts asks first).
    expect(((await started.catch((error: Error) => error)) as Error).message).not.toMatch(/state server/);
    // Refused, not half started: the Engine is still in no swarm.
    expect((await services.swarmState()).state).toBe('inactive');
  }, 180_000);
});
