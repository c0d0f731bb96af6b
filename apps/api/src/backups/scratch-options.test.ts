import { describe, expect, it } from 'vitest';
import { CHECK_LABEL, scratchContainerOptions, type ScratchSpec } from './scratch-options.js';

describe('scratch container options', () => {
  const spec: ScratchSpec = {
    id: 'abc123',
    image: 'plat/service-postgres:1',
    env: { POSTGRES_PASSWORD: 'x' },
    dataPath: '/var/lib/postgresql/data',
    diskBytes: 64 * 1024 ** 2,
    memoryBytes: 32 * 1024 ** 2,
    healthcheck: ['pg_isready'],
  };
  const options = scratchContainerOptions('t1', spec, { uid: 999, gid: 998 });

  it('has no network: the check reaches it through docker exec only', () => {
    expect(options.HostConfig?.NetworkMode).toBe('none');
    expect(options.HostConfig?.PortBindings).toBeUndefined();
  });

  it('is bounded: memory with its tmpfs, no swap, pids, no capabilities', () => {
    const host = options.HostConfig!;
    expect(host.Memory).toBe(96 * 1024 ** 2);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.PidsLimit).toBeGreaterThan(0);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.Tmpfs?.[spec.dataPath]).toContain(`size=${spec.diskBytes},uid=999,gid=998`);
    expect(options.Labels).toMatchObject({ [CHECK_LABEL]: 'abc123' });
  });
});
