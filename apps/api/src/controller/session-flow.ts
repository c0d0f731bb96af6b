/**
 * Backpressure for attached sessions (plat run, pg:psql): a client that
 * stops reading pauses the dyno's output at Docker instead of growing
 * platd, and a dyno that stops reading its stdin pauses the client.
 */

/**
 * Wraps output handlers: a handler answering false (its client is behind)
 * pauses `source` until `whenDrained` calls back.
 */
export function outputFlow(
  source: NodeJS.ReadableStream,
  whenDrained: ((resume: () => void) => void) | undefined,
): (handler: (chunk: Buffer) => unknown) => (chunk: Buffer) => void {
  let paused = false;
  return (handler) => (chunk) => {
    if (handler(chunk) !== false || !whenDrained || paused) return;
    paused = true;
    source.pause();
    whenDrained(() => {
      paused = false;
      source.resume();
    });
  };
}

/** Copies the client's input to the dyno, pausing the client while the dyno's side is full. */
export function pipeStdin(stdin: NodeJS.ReadableStream, target: NodeJS.WritableStream & { end(): void }): void {
  stdin.on('data', (chunk: Buffer) => {
    if (target.write(chunk)) return;
    stdin.pause();
    target.once('drain', () => stdin.resume());
  });
  stdin.on('end', () => target.end());
}
