/**
 * nginx's processes and error log as the router watches them across a
 * reload: which workers the master has, when old ones stop taking
 * connections and exit, and what a refused reload wrote to the error log.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { nginxComplaint } from './route-screen.js';
import { WorkerExitPoller } from './worker-exits.js';

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

/** A worker of the generation nginx serves now: titled a worker and not shutting down. */
function serving(pid: number): boolean {
  try {
    const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return alive(pid) && title.includes('worker process') && !title.includes('shutting down');
  } catch {
    return false;
  }
}

/**
 * After a SIGHUP, tells the old workers to stop taking connections as soon as
 * the new ones take them, rather than when nginx's master does: it sleeps a
 * fixed 100 ms after starting the new workers ("allow new processes to
 * start"), and until then the old workers win most new connections. A new
 * worker is titled only after it has set up its listeners, so a new worker so
 * titled accepts; and the listening sockets stay open in the master and the new
 * workers, so no connection is refused meanwhile. SIGQUIT is the very shutdown
 * the master sends them a moment later (it marks them exiting then, so none is
 * respawned). Gives up, leaving it to the master, when no new workers show up
 * (a config the master refused starts none).
 */
export async function hurryOldWorkers(master: number, oldWorkers: number[], timeoutMs: number): Promise<boolean> {
  const old = new Set(oldWorkers);
  const active = oldWorkers.filter(serving);
  if (active.length === 0) return false;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const fresh = workersOf(master).filter((pid) => !old.has(pid) && serving(pid));
    if (fresh.length >= active.length) {
      for (const pid of active) {
        try {
          process.kill(pid, 'SIGQUIT');
        } catch {
          // Gone already: nothing to tell it.
        }
      }
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return false;
}

/** Until no old worker takes new connections: only then is the new config the only one answering. */
export async function waitForListenersClosed(pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(accepting) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Old workers of every reload, watched by one poller however many reloads overlap (see worker-exits.ts). */
const exits = new WorkerExitPoller(alive);

/** Until none of these workers is alive (an exited one not yet reaped counts as gone), or timeoutMs. */
export function waitForExit(pids: number[], timeoutMs: number): Promise<void> {
  return exits.wait(pids, timeoutMs);
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
