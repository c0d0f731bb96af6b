/**
 * Plat's image registry for the swarm runtime: Debian's docker-registry run
 * by platd as a child (`docker-registry serve <dataDir>/registry/config.yml`),
 * like its sshd. Builds are pushed to it so every node can pull them; pruning
 * deletes their manifests and garbage collection frees the layers.
 *
 * Loopback (the default, one node): plain HTTP on 127.0.0.1, which Docker
 * allows without configuration. Any other address: mutual TLS with a CA Plat
 * makes in the data dir; each node's Docker shows the client certificate from
 * /etc/docker/certs.d/<host:port>/ (nodeTrust() lists those files). Mutual TLS
 * rather than htpasswd: Debian ships no bcrypt tool with the registry, Docker
 * reads client certificates natively, and services need no credentials
 * (no --with-registry-auth) to pull.
 *
 * The registry runs as Debian's `docker-registry` account, owning only its
 * storage and reading (not writing) its config and server key; platd keeps
 * the CA key. Over TLS it answers only clients that hold Plat's certificate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runHost } from '@plat/core/host-process';
import type Docker from 'dockerode';
import {
  deleteManifest,
  listRegistryRepositories,
  listRegistryTags,
  manifestDigest,
  type RegistryEndpoint,
  registryRequest,
} from './registry-api.js';
import {
  parseRegistryRef,
  type RegistryAddress,
  registryHost,
  registryRef,
  renderRegistryConfig,
  renderTrustScript,
  splitLocalTag,
  type TrustFile,
} from './registry-config.js';
import {
  type Account,
  answers,
  Gate,
  LogFile,
  ownStorage,
  registryAccount,
  stopLeftover,
  untilReady,
} from './registry-process.js';
import { followPush } from './registry-push.js';
import { ensureRegistryTls, type RegistryTlsFiles } from './registry-tls.js';

/** Debian's docker-registry (infra/setup.sh installs it). */
export const REGISTRY_BINARY = '/usr/bin/docker-registry';
/** Where Docker looks for a registry's CA and client certificate. */
export const DOCKER_CERTS_DIR = '/etc/docker/certs.d';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5000;
const MAX_RESTART_DELAY_MS = 60_000;
const GC_TIMEOUT_MS = 10 * 60_000;

export interface PlatRegistryOptions {
  dataDir: string;
  /** The Plat instance: names the CA. */
  instance: string;
  address: RegistryAddress;
  docker: Docker;
  log: (line: string) => void;
  /** Over TLS, write the CA and client certificate where this host's Docker reads them (default true). */
  trustOnThisHost?: boolean;
  /** For tests: another certs.d. */
  dockerCertsDir?: string;
}

export interface PushedImage {
  /** `<host:port>/plat/<instance>-<app>:<build>`. */
  ref: string;
  /** The manifest digest the registry stored. */
  digest: string;
  /** `ref@digest`: what a service spec should name, so every task runs the same bytes. */
  pinned: string;
}

export type DeleteResult =
  | { deleted: true; digest: string }
  | { deleted: false; reason: 'absent' }
  /** The registry deletes manifests, not tags: one other tags still name is kept. */
  | { deleted: false; reason: 'shared'; digest: string; sharedWith: string[] };

export interface RegistryInfo {
  running: boolean;
  host: string;
  tls: boolean;
  problem?: string;
}

export class PlatRegistry {
  readonly dir: string;
  /** `host:port`, as image references and certs.d name it. */
  readonly host: string;
  readonly #options: PlatRegistryOptions;
  readonly #gate = new Gate();
  #endpoint: RegistryEndpoint;
  #tls: RegistryTlsFiles | undefined;
  #account: Account | undefined;
  #child: ChildProcess | undefined;
  #problem: string | undefined = 'not started yet';
  #stopping = false;
  #restartDelay = 1000;
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(options: PlatRegistryOptions) {
    this.#options = options;
    this.dir = join(options.dataDir, 'registry');
    this.host = registryHost(options.address);
    this.#endpoint = { host: this.host };
  }

  get configPath(): string {
    return join(this.dir, 'config.yml');
  }

  get storageDir(): string {
    return join(this.dir, 'storage');
  }

  get logPath(): string {
    return join(this.dir, 'registry.log');
  }

  get #pidPath(): string {
    return join(this.dir, 'registry.pid');
  }

  info(): RegistryInfo {
    return {
      running: this.#child !== undefined && this.#problem === undefined,
      host: this.host,
      tls: this.#options.address.tls,
      ...(this.#problem ? { problem: this.#problem } : {}),
    };
  }

  /**
   * Writes the config (and, over TLS, the certificates), starts the registry
   * and resolves once it answers /v2/; throws, naming the cause, when it does
   * not within 10 s. Afterwards an exit is restarted with a backoff.
   */
  async start(): Promise<void> {
    if (!existsSync(REGISTRY_BINARY)) throw new Error(`${REGISTRY_BINARY} is missing: run Plat's set-up`);
    if (this.#child) return;
    clearTimeout(this.#restartTimer);
    this.#stopping = false;
    mkdirSync(this.dir, { recursive: true, mode: 0o711 });
    chmodSync(this.dir, 0o711);
    mkdirSync(this.storageDir, { recursive: true, mode: 0o700 });
    this.#account = registryAccount(this.dir, this.#options.log);
    if (this.#account) ownStorage(this.storageDir, this.#account);
    const { address } = this.#options;
    if (address.tls) {
      const tlsDir = join(this.dir, 'tls');
      this.#tls = await ensureRegistryTls(tlsDir, address.host, this.#options.instance, this.#account?.gid);
      const read = (path: string) => readFileSync(path, 'utf8');
      this.#endpoint = {
        host: this.host,
        tls: {
          ca: read(this.#tls.caCertificate),
          certificate: read(this.#tls.clientCertificate),
          key: read(this.#tls.clientKey),
        },
      };
      if (this.#options.trustOnThisHost !== false) this.#installTrust();
    }
    writeFileSync(this.configPath, this.#config(), { mode: 0o640 });
    chmodSync(this.configPath, 0o640);
    if (this.#account) chownSync(this.configPath, 0, this.#account.gid);
    await this.#spawn();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    await this.#kill();
  }

  /** The files a worker node needs so its Docker trusts and is admitted by the registry (TLS only). */
  nodeTrust(): TrustFile[] {
    if (!this.#tls || !this.#endpoint.tls) return [];
    const dir = join(this.#options.dockerCertsDir ?? DOCKER_CERTS_DIR, this.host);
    return [
      { path: join(dir, 'ca.crt'), pem: this.#endpoint.tls.ca, mode: 0o644 },
      { path: join(dir, 'client.cert'), pem: this.#endpoint.tls.certificate, mode: 0o644 },
      { path: join(dir, 'client.key'), pem: this.#endpoint.tls.key, mode: 0o600 },
    ];
  }

  /** nodeTrust() as a script to run as root on a node before it joins (`plat nodes:join-command`). */
  nodeTrustScript(): string {
    return renderTrustScript(this.nodeTrust());
  }

  /** Removes what #installTrust wrote on this host (tests; a Plat being removed). */
  forgetOnThisHost(): void {
    rmSync(join(this.#options.dockerCertsDir ?? DOCKER_CERTS_DIR, this.host), { recursive: true, force: true });
  }

  /**
   * Pushes a local `plat/<instance>-<app>:<build>` image to the registry and
   * returns its reference there. The registry tag is removed locally again,
   * so pruning the build's tag frees the image as before.
   */
  async pushImage(localTag: string, onProgress?: (line: string) => void): Promise<PushedImage> {
    const { repository, tag } = splitLocalTag(localTag);
    const ref = registryRef(this.host, localTag);
    const { docker } = this.#options;
    return this.#gate.shared(async () => {
      this.#checkRunning();
      await docker.getImage(localTag).tag({ repo: `${this.host}/${repository}`, tag });
      try {
        // Named without the tag plus `tag`: Docker would push every tag of the repository otherwise.
        const stream = await docker.getImage(`${this.host}/${repository}`).push({ tag, authconfig: {} });
        const digest = await followPush(docker, stream, ref, onProgress);
        return { ref, digest, pinned: `${ref}@${digest}` };
      } finally {
        await docker
          .getImage(ref)
          .remove({ noprune: true })
          .catch(() => undefined);
      }
    });
  }

  async listTags(repository: string): Promise<string[]> {
    return listRegistryTags(this.#endpoint, repository);
  }

  async listRepositories(): Promise<string[]> {
    return listRegistryRepositories(this.#endpoint);
  }

  /**
   * Deletes the manifest a tag names (HEAD for its digest, DELETE by digest),
   * unless another tag names the same manifest. Its layers stay on disk
   * until garbageCollect().
   */
  async deleteTag(ref: string): Promise<DeleteResult> {
    const { repository, tag } = parseRegistryRef(ref, this.host);
    return this.#gate.shared(async () => {
      this.#checkRunning();
      const digest = await manifestDigest(this.#endpoint, repository, tag);
      if (!digest) return { deleted: false, reason: 'absent' };
      const sharedWith: string[] = [];
      for (const other of await listRegistryTags(this.#endpoint, repository))
        if (other !== tag && (await manifestDigest(this.#endpoint, repository, other)) === digest)
          sharedWith.push(other);
      if (sharedWith.length > 0) return { deleted: false, reason: 'shared', digest, sharedWith };
      const deleted = await deleteManifest(this.#endpoint, repository, digest);
      return deleted ? { deleted: true, digest } : { deleted: false, reason: 'absent' };
    });
  }

  /**
   * Frees the layers no manifest references. docker-registry's garbage
   * collector must not run beside writes (an upload in flight could lose
   * layers), so this waits for platd's pushes and deletes to end, holds new
   * ones, stops the registry, collects and starts it again. Nodes pulling in
   * those seconds fail and Swarm retries them; run it after pruning, rarely.
   */
  async garbageCollect(): Promise<{ output: string; durationMs: number }> {
    return this.#gate.exclusive(async () => {
      const started = Date.now();
      const wasRunning = this.#child !== undefined;
      clearTimeout(this.#restartTimer);
      this.#stopping = true;
      await this.#kill();
      try {
        const ran = await runHost(REGISTRY_BINARY, ['garbage-collect', this.configPath], {
          env: { PATH: '/usr/bin:/bin' },
          ...this.#account,
          timeoutMs: GC_TIMEOUT_MS,
          tailChars: 64 * 1024,
        });
        if (ran.code !== 0)
          throw new Error(`docker-registry garbage-collect failed (exit ${ran.code}): ${ran.output.slice(-2000)}`);
        return { output: ran.output, durationMs: Date.now() - started };
      } finally {
        this.#stopping = false;
        // A registry that will not come back is retried with the backoff, as after a crash.
        if (wasRunning) await this.#spawn().catch((error: Error) => this.#failed(error.message));
      }
    });
  }

  #checkRunning(): void {
    if (!this.#child) throw new Error(`Plat's registry (${this.host}) is not running: ${this.#problem ?? 'stopped'}`);
  }

  #config(): string {
    const { address } = this.#options;
    const secretPath = join(this.dir, 'http-secret');
    if (!existsSync(secretPath)) writeFileSync(secretPath, randomBytes(32).toString('base64url'), { mode: 0o600 });
    return renderRegistryConfig({
      storageDir: this.storageDir,
      listenHost: address.listenHost,
      port: address.port,
      httpSecret: readFileSync(secretPath, 'utf8').trim(),
      ...(this.#tls
        ? {
            tls: {
              certificate: this.#tls.serverCertificate,
              key: this.#tls.serverKey,
              clientCa: this.#tls.caCertificate,
            },
          }
        : {}),
    });
  }

  #installTrust(): void {
    for (const file of this.nodeTrust()) {
      mkdirSync(join(file.path, '..'), { recursive: true, mode: 0o755 });
      writeFileSync(file.path, file.pem, { mode: file.mode });
    }
  }

  async #spawn(): Promise<void> {
    const { address, log } = this.#options;
    await stopLeftover(this.#pidPath, this.configPath, log);
    if (await answers(address.listenHost === '0.0.0.0' ? '127.0.0.1' : address.listenHost, address.port))
      throw new Error(`cannot start the registry: something else listens on ${this.host}`);
    const child = spawn(REGISTRY_BINARY, ['serve', this.configPath], {
      env: { PATH: '/usr/bin:/bin' },
      ...this.#account,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logFile = new LogFile(this.logPath);
    let said = '';
    const listen = (chunk: Buffer) => {
      logFile.write(chunk);
      if (said.length < 8192) said += chunk.toString();
    };
    child.stdout!.on('data', listen);
    child.stderr!.on('data', listen);
    try {
      await untilReady(
        child,
        () => this.#ready(),
        READY_TIMEOUT_MS,
        () => said,
      );
    } catch (error) {
      child.kill('SIGKILL');
      this.#problem = (error as Error).message;
      throw error;
    }
    writeFileSync(this.#pidPath, `${child.pid}\n`);
    this.#child = child;
    this.#problem = undefined;
    const startedAt = Date.now();
    child.once('exit', (code, signal) => {
      if (this.#child !== child) return;
      this.#child = undefined;
      if (Date.now() - startedAt > MAX_RESTART_DELAY_MS) this.#restartDelay = 1000;
      this.#failed(`the registry (pid ${child.pid}) exited with ${signal ?? code}; starting it again`);
    });
  }

  async #ready(): Promise<boolean> {
    const response = await registryRequest(this.#endpoint, 'GET', '/v2/');
    return response.status === 200 && response.headers['docker-distribution-api-version'] === 'registry/2.0';
  }

  #failed(message: string): void {
    if (message !== this.#problem) this.#options.log(message);
    this.#problem = message;
    if (this.#stopping) return;
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopping) void this.#spawn().catch((error: Error) => this.#failed(error.message));
    }, this.#restartDelay);
    this.#restartTimer.unref();
    this.#restartDelay = Math.min(this.#restartDelay * 2, MAX_RESTART_DELAY_MS);
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
    rmSync(this.#pidPath, { force: true });
  }
}
