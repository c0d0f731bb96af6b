/**
 * Requests/s when every request opens its own TLS connection: a full
 * handshake each (no session resumption), what a keep-alive client such as
 * autocannon pays only once per connection. autocannon's reconnectRate cannot
 * measure this: it leaves the response it reconnects after out of its counts.
 */
import { performance } from 'node:perf_hooks';
import { connect } from 'node:tls';

export interface TlsTarget {
  port: number;
  /** SNI and Host. */
  servername: string;
  /** The only CA trusted: a test CA, on loopback. */
  ca: string;
}

export interface NewConnectionResult {
  requestsPerSecond: number;
  p99Ms: number;
  errors: number;
}

/** One GET / over a new TLS connection (HTTP/1.1, closed by the server); resolves with the status code. */
export function getOverNewConnection(target: TlsTarget, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: target.port,
      servername: target.servername,
      ca: target.ca,
      ALPNProtocols: ['http/1.1'],
    });
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(new Error(`no answer from ${target.servername}:${target.port} within ${timeoutMs} ms`)),
    );
    socket.setEncoding('latin1');
    let head = '';
    socket.on('secureConnect', () =>
      socket.write(`GET / HTTP/1.1\r\nHost: ${target.servername}\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (chunk: string) => {
      if (head.length < 64) head += chunk;
    });
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1] ?? 0)));
    socket.on('error', reject);
  });
}

/** `connections` clients, each opening a new connection per request, for `seconds`. */
export async function newConnectionRun(
  target: TlsTarget,
  connections: number,
  seconds: number,
): Promise<NewConnectionResult> {
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const begun = performance.now();
      try {
        if ((await getOverNewConnection(target)) === 200) latencies.push(performance.now() - begun);
        else errors += 1;
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requestsPerSecond: latencies.length / elapsedSeconds,
    p99Ms: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
    errors,
  };
}
