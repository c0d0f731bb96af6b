import { connect } from 'node:net';

/** How ssh says each failure to connect, so a probed reason reads like one ssh printed. */
const SAID: Record<string, string> = {
  ECONNREFUSED: 'Connection refused',
  ETIMEDOUT: 'Connection timed out',
  EHOSTUNREACH: 'No route to host',
  ENETUNREACH: 'Network is unreachable',
  ECONNRESET: 'Connection reset by peer',
};

/**
 * Why a TCP connection to the target fails, as ssh would say it, or
 * undefined when it connects. restic copies its ssh's error output through
 * a goroutine it does not wait for, so it can exit having printed only
 * "unable to start the sftp session": platd then asks the network itself.
 */
export function probeTarget(host: string, port: number, timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => done(`connect to host ${host} port ${port}: Connection timed out`), timeoutMs);
    socket.once('connect', () => done(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
        return done(`Could not resolve hostname ${host}: Name or service not known`);
      done(`connect to host ${host} port ${port}: ${SAID[error.code ?? ''] ?? error.code ?? error.message}`);
    });
  });
}
