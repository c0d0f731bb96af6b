/**
 * Docker's multiplexed exec stream (8-byte frames: type, 3 zero bytes,
 * big-endian length) split into stdout and stderr with backpressure: the
 * source pauses while stdout has no room, so a slow disk holds pg_dump back
 * instead of buffering the dump in platd's memory (docker-modem's
 * demuxStream ignores write()'s result). Resolves once the source ended and
 * every frame was handed on; rejects when the source or stdout fails (a
 * full disk: ENOSPC), after destroying the source, which closes the
 * command's output so it stops. stderr is only ever a small buffer that is
 * read as it comes, so it takes no backpressure.
 */
export function demuxExec(
  source: NodeJS.ReadableStream & { destroy?(error?: Error): void },
  stdout: NodeJS.WritableStream,
  stderr: NodeJS.WritableStream,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let buffer: Buffer = Buffer.alloc(0);
    let settled = false;
    let raw = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      stdout.off('error', fail);
      stdout.off('drain', resume);
      if (error) {
        source.destroy?.(error);
        reject(error);
      } else resolve();
    };
    const fail = (error: Error) => finish(error);
    const resume = () => source.resume();
    const toStdout = (payload: Buffer) => {
      if (!stdout.write(payload)) {
        source.pause();
        stdout.once('drain', resume);
      }
    };
    function onData(chunk: Buffer) {
      if (raw) return toStdout(chunk);
      buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
      while (buffer.length >= 8) {
        const type = buffer.readUInt8(0);
        if (type > 2) {
          // Not multiplexed after all (a TTY): the rest is stdout as it comes.
          raw = true;
          toStdout(buffer);
          buffer = Buffer.alloc(0);
          return;
        }
        const length = buffer.readUInt32BE(4);
        if (buffer.length < 8 + length) return;
        const payload = buffer.subarray(8, 8 + length);
        buffer = buffer.subarray(8 + length);
        if (type === 2) stderr.write(payload);
        else if (type === 1) toStdout(payload);
      }
    }
    source.on('data', onData);
    stdout.on('error', fail);
    source.once('error', fail);
    source.once('end', () => finish());
    // A connection that closes without 'end' (destroyed) is over too.
    source.once('close', () => finish());
  });
}
