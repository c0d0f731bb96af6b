/**
 * The controller and router under a user's hands: scaling, crashes, a platd
 * killed mid-rollout, rollouts under load with zero failed requests, and
 * the hardening every dyno gets. Real Docker, real nginx.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleRepo } from './support/app-repo.js';
import { instanceContainers } from './support/docker-cleanup.js';
import { get } from './support/http.js';
import { startPlatd, type Platd } from './support/platd.js';
import { requestLoop } from './support/request-loop.js';
import { run } from './support/run.js';
import { until } from './support/until.js';
import { dynoNetwork } from './support/dyno-network.js';

let platd: Platd;
let repo: string;
const docker = new Docker();

async function ps(): Promise<
  { id: string; name: string; state: string; restarts: number; exit_code: number | null; release: number }[]
> {
  const result = await platd.plat(['ps', '--json'], { cwd: repo });
  if (result.code !== 0) throw new Error(result.output);
  return JSON.parse(result.stdout);
}

async function runningDynos(): Promise<string[]> {
  return (await instanceContainers(platd.instance))
    .filter((c) => c.State === 'running' && c.Labels['plat.dyno'] && !c.Labels['plat.one-off'])
    .map((c) => `${c.Labels['plat.dyno']}@v${c.Labels['plat.version']}`)
    .sort();
}

async function pushVersion(text: string): Promise<{ code: number; output: string }> {
  writeFileSync(
    join(repo, 'app.py'),
    readFileSync(join(repo, 'app.py'), 'utf8').replace(/GREETING = ".*"/, `GREETING = "${text}"`),
  );
  await platd.git(['commit', '-q', '-am', text], repo);
  return platd.git(['push', 'platform', 'main'], repo);
}

beforeAll(async () => {
  platd = await startPlatd();
  expect((await platd.plat(['login', '--api-url', platd.apiUrl, '--token', platd.adminToken])).code).toBe(0);
  repo = await exampleRepo(platd, 'flask-hello');
  writeFileSync(
    join(repo, 'Procfile'),
    'web: gunicorn --bind 0.0.0.0:$PORT app:app\nworker: sh -c "echo working; sleep 1; exit 3"\n',
  );
  await platd.git(['add', '-A'], repo);
  await platd.git(['commit', '-q', '-m', 'a worker that crashes'], repo);
  expect((await platd.plat(['apps:create', 'runner'], { cwd: repo })).code).toBe(0);
  const push = await platd.git(['push', 'platform', 'main'], repo);
  expect(push.code, push.output).toBe(0);
});
afterAll(async () => {
  await platd?.destroy();
});

describe('scaling', () => {
  it('serves from three distinct web dynos at web=3', async () => {
    expect((await platd.plat(['scale', 'web=3'], { cwd: repo })).code).toBe(0);
    const seen = new Set<string>();
    for (let i = 0; i < 60 && seen.size < 3; i += 1)
      seen.add((await get(platd.routerPort, 'runner.localhost')).body.match(/dyno (web\.\d)/)![1]!);
    expect([...seen].sort()).toEqual(['web.1', 'web.2', 'web.3']);
  });

  it('answers H14 with no web dynos, and serves again when scaled up', async () => {
    expect((await platd.plat(['scale', 'web=0'], { cwd: repo })).code).toBe(0);
    const response = await get(platd.routerPort, 'runner.localhost');
    expect(response.status).toBe(503);
    expect(response.body).toContain('H14');
    expect((await platd.plat(['scale', 'web=1'], { cwd: repo })).code).toBe(0);
    expect((await get(platd.routerPort, 'runner.localhost')).status).toBe(200);
  });
});

describe('crashes', () => {
  it('replaces a killed dyno', async () => {
    const [before] = (await ps()).filter((d) => d.name === 'web.1');
    await docker
      .getContainer((await instanceContainers(platd.instance)).find((c) => c.Labels['plat.dyno'] === 'web.1')!.Id)
      .kill();
    const after = await until('web.1 to be replaced', async () =>
      (await ps()).find((d) => d.name === 'web.1' && d.state === 'up' && d.id !== before!.id),
    );
    expect(after.restarts).toBe(1);
    await until(
      'the router to serve again',
      async () => (await get(platd.routerPort, 'runner.localhost')).status === 200,
    );
  });

  it('restarts a crashing dyno with backoff and shows it crashed with its exit code', async () => {
    expect((await platd.plat(['scale', 'worker=1'], { cwd: repo })).code).toBe(0);
    try {
      const crashed = await until(
        'worker.1 to crash twice',
        async () => (await ps()).find((d) => d.name === 'worker.1' && d.state === 'crashed' && d.restarts >= 2),
        30_000,
      );
      expect(crashed.exit_code).toBe(3);
      // Between a restart's removal of the dead container and its replacement
      // there is a moment with no worker.1 at all: wait for a crashed one again.
      await until(
        'plat ps to show the crash',
        async () => /worker\.1: crashed .*exit 3, \d+ restarts/.test((await platd.plat(['ps'], { cwd: repo })).stdout),
        30_000,
      );
      expect(platd.output()).toMatch(/runner worker\.1 crashed \(exit 3\), restarting in \d+s/);
    } finally {
      expect((await platd.plat(['scale', 'worker=0'], { cwd: repo })).code).toBe(0);
    }
  });
});

describe('rollouts', () => {
  it('keeps the old release serving when the new one crashes at boot', async () => {
    writeFileSync(join(repo, 'boom.py'), 'raise RuntimeError("boom at boot")\n');
    writeFileSync(join(repo, 'app.py'), `import boom\n${readFileSync(join(repo, 'app.py'), 'utf8')}`);
    await platd.git(['add', '-A'], repo);
    await platd.git(['commit', '-q', '-m', 'crash at boot'], repo);
    try {
      const push = await platd.git(['push', 'platform', 'main'], repo);
      expect(push.code).not.toBe(0);
      expect(push.output).toMatch(/H10: web\.1 crashed at boot \(exit \d+\); its last output:/);
      expect(push.output).toMatch(/boom at boot|Worker failed to boot/);
      expect((await get(platd.routerPort, 'runner.localhost')).body).toContain('Hello from Flask on Plat');
    } finally {
      // The next tests push from this repo: leave it as the running release has it.
      await platd.git(['reset', '-q', '--hard', 'HEAD~1'], repo);
      await platd.git(['clean', '-fdq'], repo);
    }
  });

  it('deploys, scales down and rolls back under load with zero failed requests', async () => {
    expect((await platd.plat(['scale', 'web=2'], { cwd: repo })).code).toBe(0);
    const loop = requestLoop({
      port: platd.routerPort,
      host: 'runner.localhost',
      clients: 8,
      maxRequests: 20_000,
      maxMs: 120_000,
    });
    const push = await pushVersion('Hello under load');
    expect(
      push.code,
      push.output
        .split('\n')
        .filter((line) => !line.includes('Step'))
        .join('\n'),
    ).toBe(0);
    expect((await platd.plat(['scale', 'web=1'], { cwd: repo })).code).toBe(0);
    expect((await platd.plat(['rollback'], { cwd: repo })).code).toBe(0);
    const result = await loop.stop();
    expect(result.requests).toBeGreaterThan(50);
    expect(result.failures).toEqual([]);
  });
});

describe('platd restarts', () => {
  it('adopts running dynos without restarting them', async () => {
    // The rollback before retires its old dyno in the background (plat ps leaves it out at once, while its
    // container drains): start from the steady state, one dyno container left.
    await until('one web dyno up, the rollback settled', async () => {
      const dynos = await ps();
      const containers = (await instanceContainers(platd.instance)).filter(
        (c) => c.Labels['plat.dyno'] && !c.Labels['plat.one-off'],
      );
      return dynos.length === 1 && dynos[0]!.state === 'up' && containers.length === 1;
    });
    const before = (await ps()).map((d) => `${d.name}:${d.id}`);
    expect(before).toHaveLength(1);
    await platd.stop();
    await platd.start();
    expect((await ps()).map((d) => `${d.name}:${d.id}`)).toEqual(before);
  });

  it('after being killed mid-rollout, runs exactly the desired dynos', async () => {
    const current = (await ps())[0]!.release;
    const pushing = pushVersion('Never finished');
    try {
      await until(
        'the new release to start a dyno',
        async () => (await instanceContainers(platd.instance)).some((c) => Number(c.Labels['plat.version']) > current),
        120_000,
      );
      await platd.kill();
      const push = await pushing;
      expect(push.code).not.toBe(0);
      await platd.start();
      let running: string[] = [];
      await until(
        'only the current release to run',
        async () => {
          running = await runningDynos();
          return JSON.stringify(running) === JSON.stringify([`web.1@v${current}`]);
        },
        60_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; running: ${running.join(', ')}; platd said:\n${platd.output()}`);
      });
      // No orphans: the interrupted release's containers are removed, not just stopped.
      await until(
        'the interrupted release to leave no containers',
        async () => (await instanceContainers(platd.instance)).filter((c) => c.Labels['plat.dyno']).length === 1,
        60_000,
      );
      expect((await get(platd.routerPort, 'runner.localhost')).body).not.toContain('Never finished');
      const releases = JSON.parse((await platd.plat(['releases', '--json'], { cwd: repo })).stdout);
      expect(releases[0].status).toBe('failed');
    } finally {
      await platd.git(['reset', '-q', '--hard', 'HEAD~1'], repo);
    }
  });
});

describe('dyno hardening', () => {
  it('limits, confines and isolates every dyno', async () => {
    const [info] = (await instanceContainers(platd.instance)).filter((c) => c.Labels['plat.dyno'] === 'web.1');
    const container = await docker.getContainer(info!.Id).inspect();
    const host = container.HostConfig;
    expect(host.Memory).toBe(1024 ** 3);
    expect(host.MemorySwap).toBe(1024 ** 3);
    expect(host.CpuShares).toBe(1024);
    expect(host.PidsLimit).toBe(512);
    expect(host.SecurityOpt).toEqual(['no-new-privileges']);
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd ?? []).toEqual([]);
    expect(host.Privileged).toBe(false);
    expect(container.Config.User).toBe('1000:1000');
    expect(container.Mounts.some((m) => m.Source.includes('docker.sock'))).toBe(false);
    expect(host.Binds ?? []).toEqual([]);
    // Nothing published on the host: the router reaches the dyno at its address on the app's network.
    expect(Object.values(host.PortBindings ?? {}).flat()).toEqual([]);
    // The app's own network, named by its id, and no other: the dyno's own, or its network sandbox's.
    const appNetwork = `plat-${platd.instance}-${info!.Labels['plat.app-id']}`;
    const { networks, sandbox } = await dynoNetwork(info!.Id);
    expect(Object.keys(networks)).toEqual([appNetwork]);
    expect(host.NetworkMode).toBe(sandbox ? `container:${sandbox.Id}` : appNetwork);
    if (sandbox) expect(sandbox.Config.Labels['plat.sandbox']).toBe(appNetwork);
    const exec = await docker.getContainer(info!.Id).exec({ Cmd: ['id', '-u'], AttachStdout: true });
    const output = await new Promise<string>((resolve) => {
      void exec.start({}).then((stream) => {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
        stream.on('end', () => resolve(text));
      });
    });
    expect(output).toContain('1000');
  });
});

describe('logs', () => {
  it('keeps build, app, router and platform lines across platd restarts', async () => {
    const logs = async (...args: string[]) =>
      (await platd.plat(['logs', '-n', '10000', ...args], { cwd: repo })).stdout;
    await get(platd.routerPort, 'runner.localhost', '/?from=logs-test');
    const router = await until(
      'the request to reach the log',
      async () => {
        const text = await logs('--source', 'router');
        return text.includes('from=logs-test') ? text : undefined;
      },
      20_000,
    );
    expect(router).toMatch(
      new RegExp(
        /^\S+Z router\[router\]: at=info method=GET path="\/\?from=logs-test" host=runner\.localhost /.source +
          /request_id=\w+ fwd="127\.0\.0\.1" dyno=web\.1 connect=\d+ms service=\d+ms status=200 bytes=\d+$/.source,
        'm',
      ),
    );
    expect(await logs('--source', 'build')).toMatch(/^\S+Z build\[build\]: -----> Python app detected$/m);
    expect(await logs('--source', 'app', '--dyno', 'web')).toMatch(
      /^\S+Z app\[web\.1\]: .*Listening at: http:\/\/0\.0\.0\.0:5000/m,
    );
    const plat = await logs('--source', 'plat');
    expect(plat).toMatch(/^\S+Z plat\[api\]: Scaled to web@3 by admin@plat\.local$/m);
    expect(plat).toMatch(/^\S+Z plat\[worker\.1\]: crashed \(exit 3\), restarting (now|in \d+s)$/m);
    expect(plat).toMatch(/^\S+Z plat\[api\]: Release v\d+ created: Rollback to v\d+$/m);
  });

  it('filters by source and dyno', async () => {
    const router = (await platd.plat(['logs', '-n', '50', '--source', 'router'], { cwd: repo })).stdout
      .trim()
      .split('\n');
    expect(router.length).toBeGreaterThan(0);
    expect(router.every((line) => / router\[router\]: /.test(line))).toBe(true);
    const worker = (await platd.plat(['logs', '-n', '50', '--dyno', 'worker'], { cwd: repo })).stdout
      .trim()
      .split('\n');
    expect(worker.every((line) => /\[worker\.1\]: /.test(line))).toBe(true);
    expect(worker.some((line) => line.includes('app[worker.1]: working'))).toBe(true);
    expect((await platd.plat(['logs', '--source', 'nope'], { cwd: repo })).code).toBe(1);
  });

  it('tails new lines as they come', async () => {
    const { spawn } = await import('node:child_process');
    const tail = spawn(
      process.execPath,
      [join(import.meta.dirname, '../apps/cli/bin/plat.js'), 'logs', '--tail', '-n', '1', '--source', 'router'],
      {
        cwd: repo,
        env: platd.userEnv,
      },
    );
    let seen = '';
    tail.stdout.on('data', (chunk: Buffer) => (seen += chunk));
    try {
      await until(
        'the tail to show a new request',
        async () => {
          await get(platd.routerPort, 'runner.localhost', '/?from=tail-test');
          return seen.includes('from=tail-test');
        },
        20_000,
      );
    } finally {
      const exited = new Promise((resolve) => tail.on('exit', resolve));
      tail.kill('SIGINT');
      await exited;
    }
  });
});

describe('one-off dynos', () => {
  it('runs a command attached, with its output and exit code', async () => {
    const result = await platd.plat(['run', 'echo hello from $DYNO; echo oops >&2; exit 7'], { cwd: repo });
    expect(result.code).toBe(7);
    expect(result.stdout).toMatch(/^hello from run\.\d+\n$/);
    expect(result.stderr).toBe('oops\n');
    expect(
      (await platd.plat(['run', '--', 'python', '-c', 'import flask; print(flask.__name__)'], { cwd: repo })).stdout,
    ).toBe('flask\n');
  });

  it('passes stdin through', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [join(import.meta.dirname, '../apps/cli/bin/plat.js'), 'run', 'tr a-z A-Z'], {
      cwd: repo,
      env: platd.userEnv,
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stdin.end('shout this\n');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toBe('SHOUT THIS\n');
  });

  it('gives the dyno a TTY when the terminal is one', async () => {
    const plat = join(import.meta.dirname, '../apps/cli/bin/plat.js');
    // script(1) is the terminal here: plat sees a TTY and asks for one.
    const result = await run('script', ['-qec', `${process.execPath} ${plat} run tty`, '/dev/null'], {
      cwd: repo,
      env: platd.userEnv,
    });
    expect(result.stdout).toMatch(/\/dev\/pts\/\d+/);
  });

  it('runs a command detached, with its output in the logs', async () => {
    const result = await platd.plat(['run:detached', 'echo detached says hi'], { cwd: repo });
    expect(result.code).toBe(0);
    const dyno = result.stdout.match(/as (run\.\d+)/)![1]!;
    await until(
      'the output in the logs',
      async () =>
        (await platd.plat(['logs', '--dyno', dyno], { cwd: repo })).stdout.includes(`app[${dyno}]: detached says hi`),
      20_000,
    );
    const logs = (await platd.plat(['logs', '--dyno', dyno], { cwd: repo })).stdout;
    expect(logs).toContain(`plat[${dyno}]: Starting process with command \`echo detached says hi\``);
    await until(
      'the exit in the logs',
      async () =>
        (await platd.plat(['logs', '--dyno', dyno], { cwd: repo })).stdout.includes(
          `plat[${dyno}]: Process exited with status 0`,
        ),
      20_000,
    );
  });

  it('explains what is missing', async () => {
    const result = await platd.plat(['run', '-a', 'no-such-app', 'true'], { cwd: repo });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Couldn't find that app: no-such-app");
  });
});
