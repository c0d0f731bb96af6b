import { PlatError, isErrorId, type App, type Release } from '@plat/core';

export interface FormationEntry {
  type: string;
  quantity: number;
  size: string;
  command: string | null;
}

export interface Dyno {
  id: string;
  name: string;
  type: string;
  state: 'up' | 'starting' | 'crashed';
  restarts: number;
  release: number;
  command: string;
  exit_code: number | null;
  created_at: string;
}

export interface BuildInfo {
  id: string;
  status: string;
  source_commit: string;
  buildpack: string | null;
  image: string | null;
  created_at: string;
  output?: string;
}

export interface Domain {
  id: string;
  hostname: string;
  created_at: string;
}

export interface Collaborator {
  email: string;
  created_at: string;
}

export interface Token {
  id: string;
  description: string;
  created_at: string;
  last_used_at: string | null;
  /** After this the token gets 401; null: never. */
  expires_at: string | null;
  token?: string;
}

export interface User {
  email: string;
  admin: boolean;
  disabled: boolean;
  disabled_at: string | null;
  created_at: string;
  tokens: number;
  apps: number;
}


/** `POST /v1/admin/restore`: what a state backup brought. */
export interface StateRestored {
  apps: number;
  backup: { instance: string; created_at: string; migrations: string[] };
}

/** `GET /v1/admin/disk`: bytes Plat holds per app, and in all. */
export interface DiskReport {
  apps: {
    app: string;
    id: string;
    images: { count: number; bytes: number };
    volumes: { count: number; bytes: number };
    containers: { count: number; bytes: number };
    repo_bytes: number;
    backups: { count: number; bytes: number };
    logs_bytes: number;
    total_bytes: number;
  }[];
  build_cache: { bytes: number; budget_bytes: number };
  totals: { bytes: number; images_bytes: number; volumes_bytes: number; repos_bytes: number; backups_bytes: number; logs_bytes: number };
  data_dir: { path: string; free_bytes: number; size_bytes: number };
}

export interface ClientOptions {
  /** Base URL of platd, e.g. http://127.0.0.1:5000 */
  apiUrl: string;
  token?: string;
}

/** A thin, typed client for the Plat HTTP API (/v1). */
export class PlatClient {
  readonly apiUrl: string;
  readonly #token: string | undefined;

  constructor(options: ClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.#token = options.token;
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.apiUrl}${path}`, init);
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new PlatError('unavailable', `Could not reach the Plat API at ${this.apiUrl} (${reason})`, { cause: error });
    }
  }

  /** The API's `{ id, message }` as a PlatError. */
  #failure(status: number, text: string): PlatError {
    const payload = (safeJson(text) ?? {}) as { id?: unknown; message?: unknown };
    const id = isErrorId(payload.id) ? payload.id : status === 401 ? 'unauthorized' : 'internal_error';
    return new PlatError(id, typeof payload.message === 'string' ? payload.message : `HTTP ${status} from ${this.apiUrl}`);
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.#fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    if (!response.ok) throw this.#failure(response.status, text);
    return (text === '' ? undefined : safeJson(text)) as T;
  }

  /** A text response as it arrives (log tails); errors are thrown like request()'s. */
  async stream(path: string, signal?: AbortSignal): Promise<AsyncIterable<string>> {
    const headers: Record<string, string> = { accept: 'text/plain' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const response = await this.#fetch(path, { headers, ...(signal ? { signal } : {}) });
    if (!response.ok || !response.body) throw this.#failure(response.status, await response.text());
    const body = response.body.pipeThrough(new TextDecoderStream());
    return body as unknown as AsyncIterable<string>;
  }

  /** A binary response as it arrives (admin:backup); errors are thrown like request()'s. */
  async download(path: string): Promise<ReadableStream<Uint8Array>> {
    const headers: Record<string, string> = {};
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const response = await this.#fetch(path, { headers });
    if (!response.ok || !response.body) throw this.#failure(response.status, await response.text());
    return response.body;
  }

  /** Sends a body as it is read (admin:restore) and resolves with the JSON answer. */
  async upload<T>(path: string, body: ReadableStream<Uint8Array>, contentType: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': contentType };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const init = { method: 'POST', headers, body, duplex: 'half' } as RequestInit;
    const response = await this.#fetch(path, init);
    const text = await response.text();
    if (!response.ok) throw this.#failure(response.status, text);
    return safeJson(text) as T;
  }

  /** `plat admin:backup`: the state as a tar stream. */
  stateBackup(): Promise<ReadableStream<Uint8Array>> {
    return this.download('/v1/admin/backup');
  }

  /** `plat admin:restore`: loads a state backup into a Plat with no apps. */
  restoreState(backup: ReadableStream<Uint8Array>): Promise<StateRestored> {
    return this.upload('/v1/admin/restore', backup, 'application/x-tar');
  }

  logs(app: string, query: { lines?: number; source?: string; dyno?: string; tail?: boolean }, signal?: AbortSignal): Promise<AsyncIterable<string>> {
    const params = new URLSearchParams();
    if (query.lines !== undefined) params.set('lines', String(query.lines));
    if (query.source) params.set('source', query.source);
    if (query.dyno) params.set('dyno', query.dyno);
    if (query.tail) params.set('tail', 'true');
    return this.stream(`/v1/apps/${encodeURIComponent(app)}/logs?${params}`, signal);
  }

  listApps(): Promise<App[]> {
    return this.request('GET', '/v1/apps');
  }

  getApp(name: string): Promise<App> {
    return this.request('GET', `/v1/apps/${encodeURIComponent(name)}`);
  }

  createApp(name?: string): Promise<App> {
    return this.request('POST', '/v1/apps', name === undefined ? {} : { name });
  }

  whoami(): Promise<{ user: string; admin: boolean }> {
    return this.request('GET', '/v1/account');
  }

  #app(app: string, rest = ''): string {
    return `/v1/apps/${encodeURIComponent(app)}${rest}`;
  }

  updateApp(app: string, changes: { name?: string; maintenance?: boolean; buildpack?: string | null }): Promise<App> {
    return this.request('PATCH', this.#app(app), changes);
  }

  destroyApp(app: string, confirm: string): Promise<void> {
    return this.request('DELETE', `${this.#app(app)}?confirm=${encodeURIComponent(confirm)}`);
  }

  configVars(app: string): Promise<Record<string, string>> {
    return this.request('GET', this.#app(app, '/config-vars'));
  }

  updateConfigVars(app: string, changes: Record<string, string | null>): Promise<Record<string, string>> {
    return this.request('PATCH', this.#app(app, '/config-vars'), changes);
  }

  releases(app: string): Promise<Release[]> {
    return this.request('GET', this.#app(app, '/releases'));
  }

  release(app: string, ref: string): Promise<Release> {
    return this.request('GET', this.#app(app, `/releases/${encodeURIComponent(ref)}`));
  }

  rollback(app: string, release: string | number): Promise<Release> {
    return this.request('POST', this.#app(app, '/releases'), { release });
  }

  builds(app: string): Promise<BuildInfo[]> {
    return this.request('GET', this.#app(app, '/builds'));
  }

  build(app: string, id: string): Promise<BuildInfo> {
    return this.request('GET', this.#app(app, `/builds/${encodeURIComponent(id)}`));
  }

  formation(app: string): Promise<FormationEntry[]> {
    return this.request('GET', this.#app(app, '/formation'));
  }

  updateFormation(app: string, updates: { type: string; quantity?: number; size?: string }[]): Promise<FormationEntry[]> {
    return this.request('PATCH', this.#app(app, '/formation'), updates);
  }

  dynos(app: string): Promise<Dyno[]> {
    return this.request('GET', this.#app(app, '/dynos'));
  }

  restartDynos(app: string, target?: string): Promise<void> {
    return this.request('DELETE', this.#app(app, target ? `/dynos/${encodeURIComponent(target)}` : '/dynos'));
  }

  stopDynos(app: string, target: string): Promise<void> {
    return this.request('POST', this.#app(app, `/dynos/${encodeURIComponent(target)}/actions/stop`));
  }

  domains(app: string): Promise<Domain[]> {
    return this.request('GET', this.#app(app, '/domains'));
  }

  addDomain(app: string, hostname: string): Promise<Domain> {
    return this.request('POST', this.#app(app, '/domains'), { hostname });
  }

  removeDomain(app: string, hostname: string): Promise<void> {
    return this.request('DELETE', this.#app(app, `/domains/${encodeURIComponent(hostname)}`));
  }

  collaborators(app: string): Promise<Collaborator[]> {
    return this.request('GET', this.#app(app, '/collaborators'));
  }

  addCollaborator(app: string, email: string): Promise<Collaborator> {
    return this.request('POST', this.#app(app, '/collaborators'), { email });
  }

  removeCollaborator(app: string, email: string): Promise<void> {
    return this.request('DELETE', this.#app(app, `/collaborators/${encodeURIComponent(email)}`));
  }

  tokens(): Promise<Token[]> {
    return this.request('GET', '/v1/account/tokens');
  }

  /** expiresIn: seconds until the token stops working. */
  createToken(options: { description?: string; expiresIn?: number } = {}): Promise<Token & { token: string }> {
    return this.request('POST', '/v1/account/tokens', {
      ...(options.description === undefined ? {} : { description: options.description }),
      ...(options.expiresIn === undefined ? {} : { expires_in: options.expiresIn }),
    });
  }

  /** One of yours; admins may revoke anyone's. */
  revokeToken(id: string): Promise<void> {
    return this.request('DELETE', `/v1/account/tokens/${encodeURIComponent(id)}`);
  }

  /** Admins only, like the other user methods. */
  users(): Promise<User[]> {
    return this.request('GET', '/v1/users');
  }

  createUser(email: string, options: { admin?: boolean } = {}): Promise<{ email: string; admin: boolean; token: string }> {
    return this.request('POST', '/v1/users', { email, ...(options.admin ? { admin: true } : {}) });
  }

  setUserDisabled(email: string, disabled: boolean): Promise<User> {
    return this.request('PATCH', `/v1/users/${encodeURIComponent(email)}`, { disabled });
  }

  userTokens(email: string): Promise<Token[]> {
    return this.request('GET', `/v1/users/${encodeURIComponent(email)}/tokens`);
  }

  status(): Promise<{ status: string; checks: Record<string, { ok: boolean; detail: string }> }> {
    return this.request('GET', '/v1/status');
  }

  /** What Plat holds on disk per app (admins only). */
  diskUsage(): Promise<DiskReport> {
    return this.request('GET', '/v1/admin/disk');
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
