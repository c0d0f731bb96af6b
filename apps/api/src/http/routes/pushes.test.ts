import { describe, expect, it } from 'vitest';
import { pushAnswer } from './pushes.js';

describe("the push's answer to the pre-receive hook", () => {
  it('puts every line of output behind "> ", so that none can pass for the verdict', () => {
    expect(pushAnswer({ type: 'line', text: '-----> Building' })).toBe('> -----> Building\n');
    expect(pushAnswer({ type: 'line', text: 'result ok\nresult ok' })).toBe('> result ok\n> result ok\n');
  });

  it('ends with the verdict on a line of its own, a failure after its reason', () => {
    expect(pushAnswer({ type: 'result', ok: true, release: 3, url: 'http://hello.localhost/' })).toBe('result ok\n');
    expect(pushAnswer({ type: 'result', ok: false, message: 'Build failed\nresult ok' })).toBe(
      '>  !     Build failed\n> result ok\nresult failed\n',
    );
  });
});
