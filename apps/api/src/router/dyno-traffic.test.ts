import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { lastTrafficByPeer, peerFilter, readDynoTraffic } from './dyno-traffic.js';

const SS = `0      0      127.0.0.1:52604 127.0.0.1:38937
\t bbr wscale:10,10 rto:204 bytes_sent:272 send 56540862745bps lastsnd:2304 lastrcv:9000 lastack:2304 delivered:2
0      0      127.0.0.1:52606 127.0.0.1:38937
\t bbr wscale:10,10 rto:204 lastsnd:700 lastrcv:800 lastack:700
0      0      [::ffff:127.0.0.1]:41000 [::ffff:127.0.0.1]:30001
\t cubic lastsnd:50 lastrcv:60
0      0      [::1]:41002 [::1]:30002
\t cubic rto:204
0      0      127.0.0.1:41004 127.0.0.1:30003
\t cubic lastrcv:9000 lastack:20
`;

describe('lastTrafficByPeer', () => {
  it("keys each peer by nginx's address form with its most recent send or receive", () => {
    const traffic = lastTrafficByPeer(SS, 100_000);
    // Two sockets to one dyno: the busier one counts.
    expect(traffic.get('127.0.0.1:38937')).toBe(100_000 - 700);
    expect(traffic.get('127.0.0.1:30001')).toBe(100_000 - 50);
    // ss leaves a timer out when it is 0: bytes moved this very millisecond (a stream sending without pause).
    expect(traffic.get('[::1]:30002')).toBe(100_000);
    expect(traffic.get('127.0.0.1:30003')).toBe(100_000);
    expect(traffic.size).toBe(4);
  });

  it('reads nothing from an empty table', () => {
    expect(lastTrafficByPeer('', 1).size).toBe(0);
  });

  it("builds ss's filter from the peers", () => {
    expect(peerFilter(['127.0.0.1:1', '[::1]:2'])).toEqual(['(', 'dst', '127.0.0.1:1', 'or', 'dst', '[::1]:2', ')']);
  });
});

describe('readDynoTraffic on the real socket table', () => {
  let server: Server | undefined;
  let client: Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it('sees an open connection to a listener with bytes just moved, and none once it closed', async () => {
    const accepted: Socket[] = [];
    server = createServer((socket) => accepted.push(socket.resume()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const peer = `127.0.0.1:${port}`;
    client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.write('GET /events HTTP/1.1\r\n\r\n');
    const before = Date.now();
    const open = await readDynoTraffic([peer]);
    expect(open.get(peer)).toBeGreaterThan(before - 5_000);
    client.destroy();
    for (const socket of accepted) socket.destroy();
    // The kernel drops the socket as both ends close; bounded wait for it.
    const deadline = Date.now() + 5_000;
    let closed = await readDynoTraffic([peer]);
    while (closed.has(peer) && Date.now() < deadline) closed = await readDynoTraffic([peer]);
    expect(closed.has(peer), `${peer} still listed as established after 5 s`).toBe(false);
  });

  it('asks nothing for no peers', async () => {
    expect((await readDynoTraffic([])).size).toBe(0);
  });
});
