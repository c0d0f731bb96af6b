import { describe, expect, it } from 'vitest';
import type { TaskRecord } from './services.js';
import { TaskCrashes } from './task-crashes.js';

function task(id: string, state: string, since: string): TaskRecord {
  return {
    id,
    service: 'plat-t1-app-web',
    app: 'app',
    process: 'web',
    slot: 1,
    dyno: 'web.1',
    nodeId: 'n1',
    hostname: 'node-b',
    nodeAddr: '10.0.0.2',
    releaseId: 'r2',
    version: 2,
    desiredState: state === 'running' ? 'running' : 'shutdown',
    state,
    containerId: `c-${id}`,
    exitCode: state === 'failed' ? 1 : state === 'complete' ? 0 : null,
    error: '',
    message: '',
    ports: [],
    since,
  };
}

describe('TaskCrashes', () => {
  it('notes what ended before its first listing of an app, then reports each new crash once', () => {
    const crashes = new TaskCrashes();
    const old = task('old', 'failed', '2026-11-29T07:00:00Z');
    expect(crashes.newCrashes('a1', [old, task('t1', 'running', '2026-11-29T07:00:05Z')])).toEqual([]);
    const failed = task('t1', 'failed', '2026-11-29T07:01:00Z');
    const exited = task('t2', 'complete', '2026-11-29T07:01:10Z');
    const next = task('t3', 'running', '2026-11-29T07:01:15Z');
    expect(crashes.newCrashes('a1', [old, next, exited, failed]).map((t) => t.id)).toEqual(['t1', 't2']);
    expect(crashes.newCrashes('a1', [old, next, exited, failed])).toEqual([]);
  });

  it('counts neither a task Swarm stopped (rollout, scale) nor one it could not place', () => {
    const crashes = new TaskCrashes();
    crashes.newCrashes('a1', []);
    const stopped = task('s', 'shutdown', '2026-11-29T07:02:00Z');
    const rejected = task('r', 'rejected', '2026-11-29T07:02:01Z');
    expect(crashes.newCrashes('a1', [stopped, rejected])).toEqual([]);
  });

  it('keeps apps apart and forgets tasks gone from the history', () => {
    const crashes = new TaskCrashes();
    crashes.newCrashes('a1', []);
    crashes.newCrashes('a2', []);
    const failed = task('f', 'failed', '2026-11-29T07:03:00Z');
    expect(crashes.newCrashes('a2', [failed]).map((t) => t.id)).toEqual(['f']);
    expect(crashes.newCrashes('a1', [])).toEqual([]);
    // Gone from Swarm's history, then (a task id is never reused) nothing to report again.
    expect(crashes.newCrashes('a2', [])).toEqual([]);
    crashes.forget('a2');
    expect(crashes.newCrashes('a2', [failed])).toEqual([]);
  });
});
