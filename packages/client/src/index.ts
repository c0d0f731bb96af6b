import { PlatError, isErrorId, type App } from '@plat/core';

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

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const reason = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new PlatError('unavailable', `Could not reach the Plat API at ${this.apiUrl} (${reason})`, { cause: error });
    }
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : safeJson(text);
    if (!response.ok) {
      const payload = (parsed ?? {}) as { id?: unknown; message?: unknown };
      const id = isErrorId(payload.id) ? payload.id : response.status === 401 ? 'unauthorized' : 'internal_error';
      const message = typeof payload.message === 'string' ? payload.message : `HTTP ${response.status} from ${this.apiUrl}`;
      throw new PlatError(id, message);
    }
    return parsed as T;
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
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
