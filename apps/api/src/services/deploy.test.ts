import { describe, expect, it } from 'vitest';
import type { Platform } from '../platform.js';
import { internalFailure } from './deploy.js';

describe('what a pusher sees of an internal error', () => {
  it('is a reference into platd log, never the raw text with its host paths', () => {
    const logged: string[] = [];
    const platform = { log: (line: string) => logged.push(line) } as unknown as Platform;
    const error = new Error("ENOENT: no such file or directory, open '/tmp/plat-build-x1/source.tar'");
    const message = internalFailure(platform, 'build of shop', error);
    const ref = /\(ref ([0-9a-f]{8})\)/.exec(message)?.[1];
    expect(ref).toBeDefined();
    expect(message).not.toContain('/tmp');
    expect(message).not.toContain('ENOENT');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`build of shop failed (ref ${ref})`);
    expect(logged[0]).toContain('/tmp/plat-build-x1/source.tar');
  });
});
