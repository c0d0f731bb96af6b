/**
 * nginx's processes and error log as the router watches them across a
 * reload: which workers the master has, when old ones stop taking
 * connections and exit, and what a refused reload wrote to the error log.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { nginxComplaint } from './route-screen.js';

/** The master's worker processes, from /proc. */
export function workersOf(master: number): number[] {
  try {
    return readFileSync(`/proc/${master}/task/${master}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .filter((entry) => {
        try {
          return Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]) === master;
        } catch {
          return false;
        }
      })
      .map(Number);
  }
}

function alive(pid: number): boolean {
  try {
    // A worker that exited but is not yet reaped is a zombie: gone for our purpose.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Whether an old worker may still accept a new connection: nginx retitles a
 * worker "worker process is shutting down" in the same step as it closes its
 * listening sockets, so a worker so titled (or gone) takes no new request.
 */
function accepting(pid: number): boolean {
  try {
    return alive(pid) && !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('shutting down');
  } catch {
    return false;
  }
}

/** Until no old worker takes new connections: only then is the new config the only one answering. */
export async function waitForListenersClosed(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(accepting) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

export async function waitForExit(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** The error log's size now, so that what a reload writes to it can be read (see errorsSince). */
export function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * The master's [emerg] lines written to the error log since `from`: a reload
 * it could not carry out. Only its own: `nginx -t` runs log there too.
 */
export function errorsSince(path: string, from: number, master: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= from) return undefined;
    const buffer = Buffer.alloc(Math.min(size - from, 64 * 1024));
    const text = buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, from)).toString('utf8');
    const own = text.split('\n').filter((line) => line.includes(`[emerg] ${master}#`));
    return own.length > 0 ? nginxComplaint(own.join('\n')) : undefined;
  } finally {
    closeSync(fd);
  }
}
