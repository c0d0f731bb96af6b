import { LABELS, SWARM_LABELS } from '@plat/core';
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { SwarmServices } from './services.js';

/** Just enough of dockerode's service calls, recording what was sent. */
function fakeDocker(existing: Docker.Service[] = []) {
  const calls: { op: string; id?: string; body?: unknown; query?: unknown }[] = [];
  const docker = {
    listServices: async ({ filters }: { filters: { name?: string[]; label?: string[] } }) =>
      existing.filter((s) => !filters.name || s.Spec?.Name?.startsWith(filters.name[0]!)),
    createService: async (spec: Docker.ServiceSpec) => {
      calls.push({ op: 'create', body: spec });
      return { id: 'new-id' };
    },
    getService: (id: string) => ({
      update: async (options: { _query: unknown; _body: unknown }) => {
        calls.push({ op: 'update', id, query: options._query, body: options._body });
      },
      remove: async () => calls.push({ op: 'remove', id }),
    }),
  };
  return { docker: docker as unknown as Docker, calls };
}

const labels = { [LABELS.instance]: 'i1', [LABELS.appId]: 'app-1', [LABELS.process]: 'web' };

function spec(hash: string, extra: Record<string, string> = {}): Docker.ServiceSpec {
  return { Name: 'plat-i1-shop-web', Labels: { ...labels, ...extra, [SWARM_LABELS.spec]: hash } };
}

function running(hash: string, extra: Record<string, string> = {}): Docker.Service {
  return { ID: 'svc-1', Version: { Index: 42 }, Spec: spec(hash, extra) } as unknown as Docker.Service;
}

describe('SwarmServices.ensureService', () => {
  it('creates a missing service', async () => {
    const { docker, calls } = fakeDocker();
    const result = await new SwarmServices({ docker, instance: 'i1' }).ensureService(spec('h1'));
    expect(result).toEqual({ id: 'new-id', action: 'created' });
    expect(calls.map((c) => c.op)).toEqual(['create']);
  });

  it('leaves a service that runs the same spec alone', async () => {
    const { docker, calls } = fakeDocker([running('h1')]);
    const result = await new SwarmServices({ docker, instance: 'i1' }).ensureService(spec('h1'));
    expect(result).toEqual({ id: 'svc-1', action: 'unchanged' });
    expect(calls).toEqual([]);
  });

  it('updates a changed one with the version it read, the spec as the body', async () => {
    const { docker, calls } = fakeDocker([running('h1')]);
    const result = await new SwarmServices({ docker, instance: 'i1' }).ensureService(spec('h2'));
    expect(result).toEqual({ id: 'svc-1', action: 'updated' });
    expect(calls).toEqual([{ op: 'update', id: 'svc-1', query: { version: 42 }, body: spec('h2') }]);
  });

  it("refuses another app's service of the same name, and another platd's", async () => {
    const other = fakeDocker([running('h1', { [LABELS.appId]: 'app-2' })]);
    await expect(new SwarmServices({ docker: other.docker, instance: 'i1' }).ensureService(spec('h2'))).rejects.toThrow(
      /belongs to another app/,
    );
    const foreign = fakeDocker([running('h1')]);
    await expect(
      new SwarmServices({ docker: foreign.docker, instance: 'i2' }).ensureService(spec('h2')),
    ).rejects.toThrow(/not this platd's/);
    expect([...other.calls, ...foreign.calls]).toEqual([]);
  });

  it('removes a service once, and says so', async () => {
    const { docker, calls } = fakeDocker([running('h1')]);
    const services = new SwarmServices({ docker, instance: 'i1' });
    expect(await services.removeService('plat-i1-shop-web')).toBe(true);
    expect(await services.removeService('plat-i1-shop-worker')).toBe(false);
    expect(calls).toEqual([{ op: 'remove', id: 'svc-1' }]);
  });
});
