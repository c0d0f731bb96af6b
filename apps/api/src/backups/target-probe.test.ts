import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { failureOf, type Repository } from './restic.js';
import { probeTarget } from './target-probe.js';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.end());
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('probeTarget', () => {
  it('says nothing of a target that accepts connections, and what ssh would say of one that refuses them', async () => {
    const { server, port } = await listen();
    expect(await probeTarget('127.0.0.1', port)).toBeUndefined();
    await new Promise((resolve) => server.close(resolve));
    expect(await probeTarget('127.0.0.1', port)).toBe(`connect to host 127.0.0.1 port ${port}: Connection refused`);
  });
});

describe('failureOf', () => {
  const lost =
    'Fatal: unable to open repository at sftp:root@127.0.0.1:/x: unable to start the sftp session, ' +
    'error: read |0: file already closed\n';
  const at = (port: number, kind: 'sftp' | 'local' = 'sftp') =>
    ({
      url: kind === 'sftp' ? { kind, user: 'root', host: '127.0.0.1', port, path: '/x' } : { kind, path: '/x' },
    }) as Repository;

  it("names what ssh would have said when restic lost its words, and keeps restic's own otherwise", async () => {
    const { server, port } = await listen();
    // The port answers: restic's words are all there is.
    expect((await failureOf(at(port), lost, false)).reason).toMatch(/^the target is unreachable \(Fatal: unable/);
    await new Promise((resolve) => server.close(resolve));
    expect(await failureOf(at(port), lost, false)).toEqual({
      kind: 'unreachable',
      reason: `the target is unreachable (connect to host 127.0.0.1 port ${port}: Connection refused)`,
    });
    // ssh's words arrived, a local target, another failure: no probe changes them.
    const said = `subprocess ssh: ssh: connect to host 127.0.0.1 port ${port}: Connection timed out\n${lost}`;
    expect((await failureOf(at(port), said, false)).reason).toMatch(/Connection timed out\)$/);
    expect((await failureOf(at(port, 'local'), lost, false)).reason).toMatch(/\(Fatal: unable/);
    expect(await failureOf(at(port), 'Fatal: wrong password or no key found', false)).toMatchObject({
      kind: 'wrong_password',
    });
  });
});
