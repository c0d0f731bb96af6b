import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { PlatError } from '@plat/core';
import { runHost } from '@plat/core/host-process';
import { pruneCertificateFiles, writeCertificateFiles } from './certificate-files.js';
import { ChallengeFiles } from './challenge-files.js';
import {
  type ApiServerInput,
  certificateStem,
  renderNginxConfig,
  type RouteCertificate,
  type RouteTarget,
  type WakeInput,
} from './nginx-config.js';
import {
  errorsSince,
  hurryOldWorkers,
  sizeOf,
  waitForExit,
  waitForListenersClosed,
  workersOf,
} from './nginx-workers.js';
import { KnownRefusals, nginxComplaint, screenRoutes, type Refusal } from './route-screen.js';
import type { RoutedDyno, Router } from './router.js';
import { readDynoTraffic } from './dyno-traffic.js';

export interface RouterOptions {
  /** The router's folder inside the data dir. */
  dir: string;
  listenHost: string;
  port: number;
  /** The HTTPS port (PLAT_ROUTER_TLS_PORT); the router serves HTTP only without it. */
  tlsPort?: number;
  /** Seconds a dyno has to start answering (H12 after). */
  timeoutSeconds?: number;
  nginxBinary?: string;
  /** How long a reload has to show in nginx's answers (10 s). */
  reloadTimeoutMs?: number;
  /** Told of each route nginx refused, which the router left out. */
  onRefused?: (refusal: Refusal) => void;
  /** PLAT_API_DOMAIN's server: the API and git, proxied to platd (its certificate comes by serveApiCertificate). */
  api?: Omit<ApiServerInput, 'certificate'>;
  /** platd's wake listener, where sleeping eco apps' requests go. */
  wake?: WakeInput;
}

const WORKER_USER = 'www-data';
/**
 * How long old workers may still send requests to the dynos of changed routes:
 * the config's 30 s worker_shutdown_timeout and proxy_read_timeout. (With an
 * API domain old workers may live longer, for pushes; they no longer proxy to
 * dynos by then.)
 */
const DRAIN_TIMEOUT_MS = 31_000;

/**
 * Whether a dyno's upstream and map lines need no `nginx -t`: a port nginx
 * takes, a name the config quotes, a node address of address characters only.
 */
function plainDyno(dyno: RoutedDyno): boolean {
  return (
    Number.isInteger(dyno.port) &&
    dyno.port > 0 &&
    dyno.port < 65_536 &&
    /^[\w./:@*-]+$/.test(dyno.name) &&
    (dyno.host === undefined || /^[\da-fA-F.:]+$/.test(dyno.host))
  );
}

/**
 * nginx as Plat's router: its own daemon with its own config in the data dir,
 * so it keeps serving while platd restarts. Every change is written to a new
 * file, checked with `nginx -t`, moved into place and reloaded gracefully;
 * a config that fails the check is never installed, and a route nginx
 * refuses is left out (see route-screen.ts) so the others still change.
 */
export class NginxRouter implements Router {
  readonly #options: RouterOptions;
  readonly #binary: string;
  #generation = Date.now();
  /** The routes asked for when nginx last confirmed a reload; unset while unconfirmed. */
  #installedFor: string | undefined;
  /** What nginx serves now: the routes asked for less those it refused. */
  #admitted: RouteTarget[] = [];
  readonly #known = new KnownRefusals();
  #checks = 0;
  /** The last config text that passed `nginx -t`. */
  #passed: string | undefined;
  #queue: Promise<void> = Promise.resolve();
  /** The apply waiting its turn: later applies join it with their routes (the latest win), one reload for a burst. */
  #pending: { routes: RouteTarget[]; done: Promise<void> } | undefined;
  /** The installed routes' key without their dynos (see routesKey); unset while unconfirmed. */
  #installedStructure: string | undefined;
  /** The folders nginx needs were made (once per platd). */
  #prepared = false;
  /** ACME HTTP-01 answers, served on the HTTP port for every host. */
  readonly challenges: ChallengeFiles;
  /** The API domain's certificate as last given, and as the apply under way renders it (its files are written). */
  #apiCertificate: RouteCertificate | undefined;
  #apiRendered: RouteCertificate | undefined;
  /** Old workers still finishing their requests after reloads. */
  readonly #draining = new Set<Promise<void>>();
  /** The routes last asked for; until the first apply, nothing is reloaded for the API's certificate. */
  #asked: RouteTarget[] | undefined;

  constructor(options: RouterOptions) {
    this.#options = options;
    this.#binary = options.nginxBinary ?? 'nginx';
    this.challenges = new ChallengeFiles(join(options.dir, 'acme'));
  }

  get dir(): string {
    return this.#options.dir;
  }

  get configPath(): string {
    return join(this.#options.dir, 'nginx.conf');
  }

  get pidPath(): string {
    return join(this.#options.dir, 'nginx.pid');
  }

  /** Certificates and their keys, as nginx reads them (see certificate-files.ts). */
  get certDir(): string {
    return join(this.#options.dir, 'certs');
  }

  /** Each app's request lines, one file per app (see RouterLogFiles). */
  get logDir(): string {
    return join(this.#options.dir, 'logs');
  }

  /** The group nginx's workers run as, when platd runs as root (they connect to the wake listener). */
  workerGid(): number | undefined {
    return userInfo().uid === 0 ? wwwData()[1] : undefined;
  }

  /** Has nginx reopen its log files, after they were moved aside. */
  reopenLogs(): void {
    const pid = this.runningPid();
    if (pid) process.kill(pid, 'SIGUSR1');
  }

  /** Routes become live when this resolves: nginx answers the new generation. */
  apply(routes: RouteTarget[]): Promise<void> {
    this.#asked = routes;
    // Every apply asks for every route: one still waiting can take these instead.
    if (this.#pending) {
      this.#pending.routes = routes;
      return this.#pending.done;
    }
    const pending: { routes: RouteTarget[]; done: Promise<void> } = { routes, done: Promise.resolve() };
    pending.done = this.#queue.then(() => {
      this.#pending = undefined;
      return this.#apply(pending.routes);
    });
    this.#pending = pending;
    this.#queue = pending.done.catch(() => {});
    return pending.done;
  }

  /** Resolves once no worker from before the reloads so far is left (each bounded by worker_shutdown_timeout). */
  async drained(): Promise<void> {
    await Promise.all([...this.#draining]);
  }

  /**
   * Serves this certificate for the API domain (none: HTTP only). Before the
   * first apply it waits for it: reloading then would drop the app routes
   * nginx serves from before platd started.
   */
  serveApiCertificate(certificate: RouteCertificate | undefined): Promise<void> {
    this.#apiCertificate = certificate;
    return this.#asked ? this.apply(this.#asked) : Promise.resolve();
  }

  async #apply(routes: RouteTarget[]): Promise<void> {
    const { dir } = this.#options;
    if (!this.#prepared) this.#prepare();
    // The periodic reconcile applies the same routes again; reloading for
    // nothing would restart the workers and drop idle keep-alive connections.
    const api = this.#options.api && this.#options.tlsPort ? this.#apiCertificate : undefined;
    const apiStem = api ? certificateStem(api) : '';
    const asked = routesKey(routes, true) + apiStem;
    if (this.#installedFor === asked && this.runningPid()) return;
    // Only answers changed (web dynos in a rollout, a scale or a wake;
    // maintenance; asleep): the servers nginx checked are the same, and
    // upstream lines of safe ports and names, and the fixed answers, pass
    // nginx -t as surely as before; hostnames and certificates are screened.
    const upstreamOnly =
      this.#installedStructure === routesKey(routes, false) + apiStem &&
      routes.every((route) => route.dynos.every(plainDyno)) &&
      this.runningPid() !== undefined;
    this.#installedFor = undefined;
    this.#installedStructure = undefined;
    // Before any nginx -t: the configs checked name these files.
    const certificateFiles = this.#options.tlsPort
      ? writeCertificateFiles(this.certDir, [
          ...routes.flatMap((route) => route.certificates ?? []),
          ...(api ? [api] : []),
        ])
      : new Set<string>();
    this.#apiRendered = api;
    const generation = this.#generation + 1;
    const screened = upstreamOnly
      ? this.#knownOnly(routes)
      : await screenRoutes(routes, (candidate) => this.#test(candidate, generation), this.#known);
    for (const refusal of screened.refused) this.#options.onRefused?.(refusal);
    this.#generation = generation;
    const config = this.#render(screened.routes, generation);
    const candidate = join(dir, 'nginx.conf.next');
    // Only root reads it: it holds the wake listener's secret.
    writeFileSync(candidate, config, { mode: 0o600 });
    // The mode applies only when the file is made: one left by an older platd may be readable by others.
    chmodSync(candidate, 0o600);
    // Screening has usually just passed this very text; otherwise check it here.
    if (!upstreamOnly && config !== this.#passed) {
      const check = await runHost(this.#binary, ['-t', '-q', '-p', dir, '-e', join(dir, 'error.log'), '-c', candidate]);
      if (check.code !== 0) {
        throw new PlatError(
          'internal_error',
          `The router config failed nginx -t and was not installed: ${check.output.trim()}`,
        );
      }
    }
    renameSync(candidate, this.configPath);
    const pid = this.runningPid();
    const structure = routesKey(routes, false) + apiStem;
    if (pid) {
      const oldWorkers = workersOf(pid);
      const errorLogAt = sizeOf(join(dir, 'error.log'));
      process.kill(pid, 'SIGHUP');
      // The new workers take connections as soon as they are up, not 100 ms later (see hurryOldWorkers).
      const hurried = hurryOldWorkers(pid, oldWorkers, 1000);
      await this.#waitForGeneration(this.#generation, { errorLogAt, master: pid });
      await hurried;
      // A new connection may still land on an old worker until it has closed its listeners.
      await waitForListenersClosed(oldWorkers, this.#options.reloadTimeoutMs ?? 10_000);
      this.#confirmed(asked, structure, screened.routes);
      pruneCertificateFiles(this.certDir, certificateFiles);
      // Old workers may still hold connections to the old upstreams; only
      // when they are gone is it safe to stop the dynos behind them (drained()).
      // Not awaited: a request through the router (the API domain) may be what
      // asked for this apply, and its old worker finishes only once it answers.
      const draining: Promise<void> = waitForExit(oldWorkers, DRAIN_TIMEOUT_MS).finally(() =>
        this.#draining.delete(draining),
      );
      this.#draining.add(draining);
      return;
    }
    const started = await runHost(this.#binary, ['-p', dir, '-e', join(dir, 'error.log'), '-c', this.configPath]);
    if (started.code !== 0) throw new PlatError('unavailable', `nginx did not start: ${started.output.trim()}`);
    await this.#waitForGeneration(this.#generation);
    this.#confirmed(asked, structure, screened.routes);
    pruneCertificateFiles(this.certDir, certificateFiles);
  }

  /** Only a reload nginx answers for counts: an unconfirmed one is tried again on the next apply. */
  #confirmed(asked: string, structure: string, admitted: RouteTarget[]): void {
    this.#installedFor = asked;
    this.#installedStructure = structure;
    this.#admitted = admitted;
  }

  /** The routes less the refusals known, as screenRoutes gives them when nothing new is refused. */
  #knownOnly(routes: RouteTarget[]): { routes: RouteTarget[]; refused: Refusal[] } {
    this.#known.retainOnly(routes);
    return { routes: this.#known.without(routes), refused: [] };
  }

  /** The folders nginx writes to, and its workers' passage to them; made once. */
  #prepare(): void {
    const { dir } = this.#options;
    const asRoot = userInfo().uid === 0;
    mkdirSync(this.logDir, { recursive: true });
    if (asRoot) grantWorkerPassage(dir);
    for (const sub of ['tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) {
      const path = join(dir, sub);
      mkdirSync(path, { recursive: true });
      if (asRoot) chownSync(path, ...wwwData());
    }
    this.#prepared = true;
  }

  #render(routes: RouteTarget[], generation: number): string {
    return renderNginxConfig({
      dir: this.#options.dir,
      logDir: this.logDir,
      listenHost: this.#options.listenHost,
      port: this.#options.port,
      routes,
      generation,
      ...(this.#options.tlsPort
        ? { tls: { port: this.#options.tlsPort, certDir: this.certDir, challengeRoot: this.challenges.root } }
        : {}),
      ...(this.#options.timeoutSeconds ? { timeoutSeconds: this.#options.timeoutSeconds } : {}),
      ...(this.#options.api
        ? {
            api: {
              ...this.#options.api,
              ...(this.#apiRendered ? { certificate: this.#apiRendered } : {}),
            },
          }
        : {}),
      ...(this.#options.wake ? { wake: this.#options.wake } : {}),
      ...(userInfo().uid === 0 ? { workerUser: WORKER_USER } : {}),
    });
  }

  /** `nginx -t` on a config of these routes, in a file of its own; undefined when it passes, else nginx's complaint. */
  async #test(routes: RouteTarget[], generation = this.#generation): Promise<string | undefined> {
    let config: string;
    try {
      config = this.#render(routes, generation);
    } catch (error) {
      return (error as Error).message;
    }
    const { dir } = this.#options;
    const path = join(dir, `nginx.conf.check-${process.pid}-${++this.#checks}`);
    writeFileSync(path, config, { mode: 0o600 });
    try {
      const check = await runHost(this.#binary, ['-t', '-q', '-p', dir, '-e', join(dir, 'error.log'), '-c', path]);
      if (check.code !== 0) return nginxComplaint(check.output);
      this.#passed = config;
      return undefined;
    } finally {
      rmSync(path, { force: true });
    }
  }

  /**
   * Would nginx serve `hostname` for `app` beside everything it serves now?
   * Undefined if so, else nginx's complaint. Checked before a domain is stored.
   */
  refusalOf(app: string, hostname: string, ownHostname: string): Promise<string | undefined> {
    const current = this.#admitted.find((route) => route.app === app);
    const route: RouteTarget = current
      ? { ...current, hostnames: [...current.hostnames, hostname] }
      : { app, hostnames: [ownHostname, hostname], dynos: [], maintenance: false };
    return this.#test([...this.#admitted.filter((other) => other.app !== app), route]);
  }

  /** nginx runs in the host's network namespace: the host's socket table holds its connections to dynos. */
  dynoTraffic(peers: string[]): Promise<Map<string, number>> {
    return readDynoTraffic(peers);
  }

  /** The master's pid when nginx from this data dir runs. */
  runningPid(): number | undefined {
    let text: string;
    try {
      text = readFileSync(this.pidPath, 'utf8');
    } catch {
      return undefined; // never started, or nginx removed its pid file as it exited
    }
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return undefined;
    }
  }

  /** Stops this router's nginx gracefully (tests and uninstall; platd leaves it running). */
  async stop(timeoutMs = 10_000): Promise<void> {
    const pid = this.runningPid();
    if (!pid) return;
    process.kill(pid, 'SIGQUIT');
    const deadline = Date.now() + timeoutMs;
    while (this.runningPid() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (this.runningPid()) process.kill(pid, 'SIGKILL');
  }

  /** Until nginx answers the generation; a reload the master refused (its [emerg] logged since) fails at once. */
  async #waitForGeneration(generation: number, reload?: { errorLogAt: number; master: number }): Promise<void> {
    const timeoutMs = this.#options.reloadTimeoutMs ?? 10_000;
    const deadline = Date.now() + timeoutMs;
    const errorLog = join(this.#options.dir, 'error.log');
    let last = '';
    while (Date.now() < deadline) {
      last = await this.#currentGeneration().catch((error: Error) => error.message);
      if (last === String(generation)) return;
      const refused = reload && errorsSince(errorLog, reload.errorLogAt, reload.master);
      if (refused) throw new PlatError('unavailable', `nginx did not load the new router config: ${refused}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new PlatError(
      'unavailable',
      `nginx did not load the new router config within ${timeoutMs / 1000} s (answered ${JSON.stringify(last)})`,
    );
  }

  #currentGeneration(): Promise<string> {
    const host = this.#options.listenHost === '0.0.0.0' ? '127.0.0.1' : this.#options.listenHost;
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host,
          port: this.#options.port,
          path: '/.plat/router-generation',
          headers: { host: 'plat-router.invalid', connection: 'close' },
          timeout: 1000,
        },
        (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve(body));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  }
}

/**
 * nginx workers (www-data) open request-body temp files and reopen the logs
 * by path, so they must be able to reach the router's folder: it and the
 * data dir that holds it become traversable by www-data's group only (the
 * data dir's other files stay private); any other folder above must already
 * be traversable, or starting fails with where to look.
 */
function grantWorkerPassage(dir: string): void {
  const [, gid] = wwwData();
  for (const own of [dir, dirname(dir)]) {
    const stat = statSync(own);
    if (stat.mode & 0o001) continue;
    chownSync(own, stat.uid, gid);
    chmodSync(own, (stat.mode & 0o7777) | 0o010);
  }
  for (let above = dirname(dirname(dir)); ; above = dirname(above)) {
    const stat = statSync(above);
    const passable = stat.mode & 0o001 || (stat.gid === gid && stat.mode & 0o010);
    if (!passable) {
      throw new PlatError(
        'unavailable',
        `The router's nginx workers (${WORKER_USER}) cannot reach ${dir}: ${above} is not traversable; ` +
          'chmod o+x it or choose another PLAT_DATA_DIR',
      );
    }
    if (above === dirname(above)) return;
  }
}

let wwwDataIds: [number, number] | undefined;

function wwwData(): [number, number] {
  wwwDataIds ??= readWwwData();
  return wwwDataIds;
}

function readWwwData(): [number, number] {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${WORKER_USER}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid)
    throw new PlatError('unavailable', `The user ${WORKER_USER} is missing; run Plat's set-up (infra/setup.sh)`);
  return [Number(uid), Number(gid)];
}

/**
 * The same routes in any order give the same key; a certificate counts by its
 * hash. Without `dynos`, only whether each app has web dynos counts: what
 * nginx -t checked (servers, hostnames, certificates) and not its upstream lines.
 */
function routesKey(routes: RouteTarget[], dynos: boolean): string {
  const sorted = [...routes]
    .sort((a, b) => (a.app < b.app ? -1 : a.app > b.app ? 1 : 0))
    .map((route) =>
      dynos
        ? [
            route.app,
            route.hostnames,
            route.maintenance,
            route.asleep === true,
            certificatesKey(route),
            [...route.dynos].sort((a, b) => a.port - b.port),
          ]
        : // What nginx -t has to pass: the servers' names and certificates. Each app's answer inside
          // them (its dynos, maintenance, asleep, H14) is a fixed template over its already-checked name.
          [route.app, route.hostnames, certificatesKey(route)],
    );
  return JSON.stringify(sorted);
}

function certificatesKey(route: RouteTarget): unknown[] {
  return (route.certificates ?? []).map((certificate) => [certificate.hostnames, certificateStem(certificate)]);
}
