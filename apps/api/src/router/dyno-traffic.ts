import { runHost } from '@plat/core/host-process';

/**
 * When bytes last moved on the router's open connections to dynos. A request
 * still open (a stream, a websocket, a long poll) is in no router log line
 * until it ends, yet its app is busy: the kernel's socket table says so
 * (`ss -tin`: ms since the last send and receive of each established
 * socket). An idle keep-alive connection's last bytes are its last request's,
 * so it keeps an app awake no longer than that request did.
 */

/** `ss -Htin state established` output to the time of each peer's latest traffic, keyed `host:port` (`[v6]:port`). */
export function lastTrafficByPeer(output: string, now: number): Map<string, number> {
  const latest = new Map<string, number>();
  let peer: string | undefined;
  for (const line of output.split('\n')) {
    if (!/^\s/.test(line)) {
      // Recv-Q Send-Q Local Peer (the state column is left out when one state is asked for).
      const fields = line.trim().split(/\s+/);
      peer = fields.length >= 4 ? normalisePeer(fields[3]!) : undefined;
      continue;
    }
    if (!peer) continue;
    // ss leaves out a timer that is 0: bytes moved within the last millisecond (a stream mid-send).
    const age = (name: string) => Number(new RegExp(`\\b${name}:(\\d+)`).exec(line)?.[1] ?? 0);
    const at = now - Math.min(age('lastsnd'), age('lastrcv'));
    latest.set(peer, Math.max(at, latest.get(peer) ?? 0));
    peer = undefined;
  }
  return latest;
}

/** A v4-mapped v6 peer (`[::ffff:127.0.0.1]:80`) is the v4 one the router's upstream names. */
function normalisePeer(peer: string): string {
  const mapped = /^\[::ffff:(\d+\.\d+\.\d+\.\d+)\]:(\d+)$/.exec(peer);
  return mapped ? `${mapped[1]}:${mapped[2]}` : peer;
}

/** ss's filter for sockets to any of these peers: `( dst A or dst B )`. */
export function peerFilter(peers: string[]): string[] {
  return ['(', ...peers.flatMap((peer, index) => (index === 0 ? ['dst', peer] : ['or', 'dst', peer])), ')'];
}

/**
 * Reads the socket table for connections to these peers (`host:port`).
 * ss's timers count back from when it read the table, near its exit: the
 * clock is read then, not before the spawn, which on a loaded host can take
 * longer than a stream's pause and would age its traffic by that much.
 */
export async function readDynoTraffic(peers: string[], clock = Date.now): Promise<Map<string, number>> {
  if (peers.length === 0) return new Map();
  const result = await runHost('ss', ['-H', '-t', '-i', '-n', 'state', 'established', ...peerFilter(peers)], {
    timeoutMs: 5_000,
    tailChars: 4 * 1024 * 1024,
  });
  if (result.code !== 0) throw new Error(`ss failed (exit ${result.code}): ${result.stderr.trim()}`);
  return lastTrafficByPeer(result.stdout, clock());
}
