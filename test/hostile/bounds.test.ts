/**
 * Resource bounds, tried as a hostile tenant would: a build that prints
 * forever, a log-tail client that stops reading while its app logs 50 MB,
 * scaling past the dyno quota and a scheduler job every 10 seconds. Each is
 * refused or cut, platd's memory stays flat, and nothing else changes: the
 * other app keeps serving, no release, job or dyno appears.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTACH_PROTOCOL, FrameDecoder, FrameKind } from '@plat/core';
import { get } from '../support/http.js';
import { startPlatd, type Platd } from '../support/platd.js';
import { until } from '../support/until.js';

const MB = 1024 ** 2;
let platd: Platd;

/** platd's resident memory, from the kernel's view of the process. */
function rssBytes(): number {
  const status = readFileSync(`/proc/${platd.pid()}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS in /proc/${platd.pid()}/status`);
  return Number(kb) * 1024;
}

/** A user's repo of the given files, with a `platform` remote to a new app of that name. */
async function appRepo(name: string, files: Record<string, string>): Promise<string> {
  const dir = mkdtempSync(join(dirname(platd.dataDir), `${name}-`));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'first version'],
  ]) {
    const result = await platd.git(args, dir);
    if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed: ${result.output}`);
  }
  const created = await platd.plat(['apps:create', name], { cwd: dir });
  if (created.code !== 0) throw new Error(`apps:create ${name} failed: ${created.output}`);
  return dir;
}

/** A web app that builds in seconds: the stack's Python serving one file. */
const WEB = {
  Dockerfile:
    'FROM plat/stack:latest\nCOPY index.html /srv/index.html\nCMD exec python3 -m http.server $PORT --directory /srv\n',
  'index.html': 'still here\n',
};
let steady: string;

async function steadyServes(): Promise<void> {
  const response = await get(platd.routerPort, 'steady.localhost', '/index.html');
  expect(response.body).toBe('still here\n');
}

beforeAll(async () => {
  platd = await startPlatd({ env: { PLAT_MAX_BUILD_OUTPUT_MB: '1', PLAT_MAX_DYNOS_PER_TYPE: '3' } });
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  // Another tenant's app, which must keep serving through everything below.
  steady = await appRepo('steady', WEB);
  const push = await platd.git(['push', 'platform', 'main'], steady);
  expect(push.code, push.output).toBe(0);
  await until(
    'steady to serve',
    async () => (await get(platd.routerPort, 'steady.localhost', '/index.html')).body === 'still here\n',
  );
}, 300_000);
afterAll(async () => {
  await platd?.destroy();
});

describe('a build that prints forever', () => {
  it('is cut at the output limit and fails with a clear message, platd staying flat', async () => {
    const repo = await appRepo('chatty', {
      Dockerfile: 'FROM plat/stack:latest\nRUN yes "a build that never stops talking"\nCMD sleep infinity\n',
    });
    const before = rssBytes();
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code).not.toBe(0);
    expect(push.output.slice(-2000), `platd's log:\n${platd.output().slice(-3000)}`).toContain(
      'Build output exceeded 1 MB; the build was stopped',
    );
    expect(rssBytes() - before).toBeLessThan(50 * MB);

    const builds = JSON.parse((await platd.plat(['builds', '--json'], { cwd: repo })).stdout);
    expect(builds).toHaveLength(1);
    expect(builds[0].status).toBe('failed');
    const output = (await platd.plat(['builds:output', builds[0].id], { cwd: repo })).stdout;
    expect(output).toContain('Build output exceeded 1 MB; the build was stopped');
    expect(Buffer.byteLength(output)).toBeLessThan(MB);
    // No release but the app's own v1 "Initial release".
    const releases = JSON.parse((await platd.plat(['releases', '--json'], { cwd: repo })).stdout);
    expect(releases.map((r: { description: string }) => r.description)).toEqual(['Initial release']);
    // dockerd cancelled the build: no step of it is left running.
    const docker = new Docker();
    await until('the build step container to go', async () =>
      (await docker.listContainers({ all: true })).every(
        (container) => !container.Command.includes('a build that never stops talking'),
      ),
    );
    await steadyServes();
  }, 300_000);
});

/** GET logs?tail=true over a raw socket whose reader can stop. */
function rawTail(app: string): Promise<{ socket: Socket; received: () => string }> {
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(platd.apiPort, '127.0.0.1', () => {
      socket.write(
        `GET /v1/apps/${app}/logs?tail=true&lines=1&source=app HTTP/1.1\r\nhost: 127.0.0.1\r\n` +
          `authorization: Bearer ${platd.adminToken}\r\n\r\n`,
      );
    });
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      const first = text === '';
      text += chunk;
      if (first) resolve({ socket, received: () => text });
    });
  });
}

describe('a log-tail client that stops reading', () => {
  it('holds at most its bound for a client that stops reading, and tells it how many lines it missed', async () => {
    const repo = await appRepo('loud', WEB);
    const push = await platd.git(['push', 'platform', 'main'], repo);
    expect(push.code, push.output).toBe(0);

    const slow = await rawTail('loud');
    expect(slow.received()).toMatch(/^HTTP\/1\.1 200/);
    slow.socket.pause();
    const before = slow.received().length;
    // 50 000 lines of 1 KB, then a marker. platd's RSS is no measure here: V8 collects the garbage of 50 MB passing
    // through when it likes (56 to 139 MB of growth seen). What platd held for this client is what reaches it once
    // it reads again, before the notice: at most MAX_TAIL_BUFFER_BYTES (1 MB) plus the two kernel socket buffers.
    const lines = 50_000;
    const script =
      `import sys\nline = 'x' * 1023 + '\\n'\nfor _ in range(${lines}): sys.stdout.write(line)\n` +
      "print('all 50 MB written', flush=True)";
    const run = await platd.plat(['run:detached', 'python3', '-c', script], { cwd: repo });
    expect(run.code, run.output).toBe(0);
    await until(
      'the marker line in the stored log',
      async () =>
        (await platd.plat(['logs', '-n', '20', '--source', 'app'], { cwd: repo })).stdout.includes('all 50 MB written'),
      240_000,
    );

    slow.socket.resume();
    const notice = /plat\[logs\]: (\d+) lines dropped: this client read too slowly/;
    await until('the slow client to hear what it missed', async () => notice.test(slow.received()), 60_000);
    const text = slow.received();
    const held = text.slice(before, text.search(notice));
    expect(held.length, 'bytes platd kept for the client while it did not read').toBeLessThan(16 * MB);
    const delivered = held.match(/x{1023}/g)?.length ?? 0;
    const dropped = Number(notice.exec(text)![1]);
    expect(delivered + dropped, `${delivered} lines delivered, ${dropped} dropped`).toBe(lines);
    slow.socket.destroy();
    await steadyServes();
  }, 400_000);
});

/** Bytes the process has written, from the kernel's accounting. */
function written(pid: number): number {
  return Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
}

describe('a plat run client that stops reading', () => {
  it('pauses the dyno instead of growing platd, and loses nothing', async () => {
    const lines = 51_200;
    const command =
      `python3 -c 'import sys; w = sys.stdout.write; ` +
      `[w("x" * 1023 + "\\n") for _ in range(${lines})]; print("done")'`;
    const start = rssBytes();
    const socket = connect(platd.apiPort, '127.0.0.1');
    socket.write(
      `GET /v1/apps/loud/dynos/attach?command=${encodeURIComponent(command)} HTTP/1.1\r\nhost: 127.0.0.1\r\n` +
        `authorization: Bearer ${platd.adminToken}\r\nupgrade: ${ATTACH_PROTOCOL}\r\nconnection: Upgrade\r\n\r\n`,
    );
    let head = Buffer.alloc(0);
    let upgraded = false;
    const decoder = new FrameDecoder();
    let stdout = 0;
    let exit: string | undefined;
    const take = (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.kind === FrameKind.stdout) stdout += frame.payload.length;
        if (frame.kind === FrameKind.exit || frame.kind === FrameKind.error)
          exit = `${frame.kind}:${frame.payload.toString()}`;
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return take(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      expect(head.subarray(0, end).toString()).toMatch(/^HTTP\/1\.1 101 /);
      upgraded = true;
      // The client stops reading right after the upgrade.
      socket.pause();
      take(head.subarray(end + 4));
    });

    const docker = new Docker();
    const container = await until('the one-off dyno to run', async () => {
      const running = await docker.listContainers({
        filters: { label: [`plat.instance=${platd.instance}`, 'plat.app=loud', 'plat.one-off'] },
      });
      const found = running.find((info) => info.Command.includes(`range(${lines})`));
      return found && docker.getContainer(found.Id);
    });
    const python = await until('its python process', async () => {
      const top = await container.top({ ps_args: '-eo pid,args' });
      const row = top.Processes?.find((row: string[]) => /^python3 -c /.test(row[1] ?? ''));
      return row && Number(row[0]);
    });
    // Blocked: its writes stop well short of the 50 MB while nobody reads.
    let last = -1;
    let steady = 0;
    await until('the dyno to block on its output', async () => {
      const now = written(python);
      // Counted only once it has written: a slow start is not a block.
      steady = now > 0 && now === last ? steady + 1 : 0;
      last = now;
      return steady >= 10;
    });
    expect(last).toBeLessThan(lines * 1024);
    expect(rssBytes() - start).toBeLessThan(50 * MB);

    socket.resume();
    await until('the session to end', async () => exit !== undefined, 120_000);
    socket.destroy();
    expect(exit).toBe(`${FrameKind.exit}:0`);
    expect(stdout).toBe(lines * 1024 + 'done\n'.length);
    // No bound on platd's memory once the output has passed: it then shows what the allocator keeps of the
    // 50 MB of chunks that went through (-7 to 51 MB over runs), not what platd holds. Holding the output
    // would have shown above, while the client did not read and the dyno blocked.
    await steadyServes();
  }, 300_000);
});

describe('quotas', () => {
  it('refuses scaling past PLAT_MAX_DYNOS_PER_TYPE and keeps the formation', async () => {
    const plat = (args: string[]) => platd.plat(args, { cwd: steady });
    const before = (await plat(['scale'])).stdout;
    const refused = await plat(['scale', 'web=4']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('web cannot have 4 dynos: at most 3 per process type (PLAT_MAX_DYNOS_PER_TYPE).');
    expect((await plat(['scale'])).stdout).toBe(before);
    expect(
      JSON.parse((await plat(['ps', '--json'])).stdout).filter((dyno: { type: string }) => dyno.type === 'web'),
    ).toHaveLength(1);
    await steadyServes();
  }, 60_000);

  it('refuses a scheduler job every 10 seconds and adds no job', async () => {
    const plat = (args: string[]) => platd.plat(args, { cwd: steady });
    expect((await plat(['addons:create', 'scheduler'])).code).toBe(0);
    const refused = await plat(['scheduler:add', '*/10 * * * * *', 'echo tick']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      '"*/10 * * * * *" runs every 10 s; jobs may run at most once every 60 s (PLAT_SCHEDULER_MIN_INTERVAL_SECONDS).',
    );
    expect(JSON.parse((await plat(['scheduler', '--json'])).stdout)).toEqual([]);
    await steadyServes();
  }, 60_000);
});
