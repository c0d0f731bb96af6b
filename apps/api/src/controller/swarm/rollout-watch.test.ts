import { describe, expect, it } from 'vitest';
import { latestPerSlot, rolloutVerdict, runningWebTasks, UPDATE_START_MS } from './rollout-watch.js';
import type { TaskRecord } from './services.js';

const SERVICE = 'plat-t1-app-web';

function task(over: Partial<TaskRecord>): TaskRecord {
  return {
    id: 'task',
    service: SERVICE,
    app: 'app',
    process: 'web',
    slot: 1,
    dyno: 'web.1',
    nodeId: 'n1',
    hostname: 'node-a',
    nodeAddr: '127.0.0.1',
    releaseId: 'r2',
    version: 2,
    desiredState: 'running',
    state: 'running',
    containerId: 'c1',
    exitCode: null,
    error: '',
    message: '',
    ports: [30001],
    since: '2026-11-29T07:00:00.000Z',
    ...over,
  };
}

const sentAt = Date.parse('2026-11-29T07:00:00.000Z');
const updated = { name: SERVICE, created: false, replicas: 1, sentAt };

describe('rolloutVerdict', () => {
  it('waits out an update under way, and is done once every wanted task runs the release', () => {
    const fresh = { startedAt: '2026-11-29T07:00:00.100Z', message: '' };
    const old = task({ id: 'old', releaseId: 'r1', desiredState: 'shutdown' });
    expect(
      rolloutVerdict({
        service: updated,
        update: { ...fresh, state: 'updating' },
        tasks: [old],
        releaseId: 'r2',
        now: sentAt,
      }),
    ).toEqual({ state: 'pending' });
    const done = { service: updated, update: { ...fresh, state: 'completed' as const }, releaseId: 'r2', now: sentAt };
    expect(rolloutVerdict({ ...done, tasks: [old, task({ id: 'new' })] })).toEqual({ state: 'done' });
    // Two tasks wanted running (the old one not yet told to stop): not done.
    expect(rolloutVerdict({ ...done, tasks: [task({ id: 'old', releaseId: 'r1' }), task({ id: 'new' })] })).toEqual({
      state: 'pending',
    });
  });

  it('reads a rollback of this update as a failure naming the task, and a stale one as nothing yet', () => {
    const failedTask = task({
      id: 'bad',
      state: 'failed',
      desiredState: 'shutdown',
      exitCode: 3,
      since: '2026-11-29T07:00:02Z',
    });
    const tasks = [task({ id: 'old', releaseId: 'r1' }), failedTask];
    const rolledBack = { state: 'rollback_completed' as const, message: 'rollback completed' };
    const fresh = rolloutVerdict({
      service: updated,
      update: { ...rolledBack, startedAt: '2026-11-29T07:00:00.200Z' },
      tasks,
      releaseId: 'r2',
      now: sentAt + 6000,
    });
    expect(fresh).toEqual({
      state: 'failed',
      message: 'H10: web.1 exited with code 3; Swarm rolled the update back (rollback completed)',
    });
    // The status of an earlier update: Swarm has not started this one yet.
    const stale = { ...rolledBack, startedAt: '2026-11-29T06:50:00Z' };
    expect(rolloutVerdict({ service: updated, update: stale, tasks, releaseId: 'r2', now: sentAt + 100 })).toEqual({
      state: 'pending',
    });
    // Still no update of its own after a while: a scale, judged by its tasks.
    const later = sentAt + UPDATE_START_MS + 1;
    const scaled = [task({ id: 'a' })];
    expect(rolloutVerdict({ service: updated, update: stale, tasks: scaled, releaseId: 'r2', now: later })).toEqual({
      state: 'done',
    });
  });

  it('gives up on a new service whose tasks keep failing', () => {
    const created = { ...updated, created: true };
    const failing = [1, 2, 3].map((n) =>
      task({ id: `f${n}`, state: 'failed', desiredState: 'shutdown', exitCode: 1, since: `2026-11-29T07:00:0${n}Z` }),
    );
    const update = { state: 'none' as const, message: '' };
    expect(
      rolloutVerdict({ service: created, update, tasks: failing.slice(0, 2), releaseId: 'r2', now: sentAt }),
    ).toEqual({
      state: 'pending',
    });
    expect(rolloutVerdict({ service: created, update, tasks: failing, releaseId: 'r2', now: sentAt })).toEqual({
      state: 'failed',
      message: 'H10: web.1 exited with code 1',
    });
  });
});

describe('tasks as dynos', () => {
  it('routes web tasks Swarm wants running and runs, at their node address when it is not loopback', () => {
    const tasks = [
      task({ id: 'a', ports: [30001] }),
      task({ id: 'b', slot: 2, dyno: 'web.2', ports: [30002], nodeAddr: '10.0.0.6', hostname: 'node-b' }),
      task({ id: 'c', slot: 3, dyno: 'web.3', state: 'starting', ports: [30003] }),
      task({ id: 'd', desiredState: 'shutdown', ports: [30004] }),
      task({ id: 'w', process: 'worker', dyno: 'worker.1', service: 'plat-t1-app-worker', ports: [] }),
    ];
    expect(runningWebTasks(tasks).map((d) => [d.dyno, d.port, d.address, d.node])).toEqual([
      ['web.1', 30001, undefined, 'node-a'],
      ['web.2', 30002, '10.0.0.6', 'node-b'],
    ]);
  });

  it('shows each slot by the task Swarm wants running, not a newer failed one of a rolled-back update', () => {
    const tasks = [
      task({ id: 'serving', releaseId: 'r1', since: '2026-11-29T07:00:00Z' }),
      task({ id: 'failed', state: 'failed', desiredState: 'shutdown', exitCode: 3, since: '2026-11-29T07:00:05Z' }),
      task({ id: 'gone', slot: 2, dyno: 'web.2', state: 'shutdown', desiredState: 'shutdown' }),
    ];
    expect(latestPerSlot(tasks).map((d) => [d.dyno, d.id, d.releaseId, d.running])).toEqual([
      ['web.1', 'c1', 'r1', true],
    ]);
  });
});
