import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';

/** Docker's log stream frames each chunk with an 8-byte header when there is no TTY. */
export function demultiplex(buffer: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    parts.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** The last lines a container printed, stdout and stderr together. */
export async function logTail(container: Docker.Container, lines: number): Promise<string> {
  const buffer = await container.logs({ stdout: true, stderr: true, tail: lines, follow: false });
  return demultiplex(buffer as unknown as Buffer);
}

/**
 * Follows a container's stdout and stderr from `since`, one call per line
 * with Docker's timestamp, until the container stops; returns a stop function.
 */
export async function followLogs(
  docker: Docker,
  id: string,
  since: Date | undefined,
  onLine: (at: Date, line: string) => void,
): Promise<() => void> {
  const stream = (await docker.getContainer(id).logs({
    follow: true,
    stdout: true,
    stderr: true,
    timestamps: true,
    ...(since ? { since: since.getTime() / 1000 } : {}),
  })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const output = new PassThrough();
  docker.modem.demuxStream(stream, output, output);
  stream.on('end', () => output.end());
  stream.on('error', () => output.end());
  const lines = createInterface({ input: output });
  lines.on('line', (raw) => {
    const space = raw.indexOf(' ');
    const at = new Date(raw.slice(0, space));
    if (since && at <= since) return;
    onLine(Number.isNaN(at.getTime()) ? new Date() : at, raw.slice(space + 1));
  });
  return () => stream.destroy();
}
