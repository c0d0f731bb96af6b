import { PlatError, isErrorId } from '@plat/core';

/** What a JSON request gets back: the answer's status, its headers by name (lower case), its text. */
export interface JsonAnswer {
  status: number;
  header(name: string): string | undefined;
  text: string;
}

/**
 * Sends one JSON request; rejects only when no answer came (platd down, a wrong URL). A sender hands a
 * redirect back rather than following it, and the client's streams then do not follow one either.
 */
export type JsonSender = (
  url: string,
  request: { method: string; headers: Record<string, string>; body?: string },
) => Promise<JsonAnswer>;

/** JSON requests by fetch, in browsers and Node alike. */
const fetchSender: JsonSender = async (url, { method, headers, body }) => {
  const response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, header: (name) => response.headers.get(name) ?? undefined, text };
};

export interface ClientOptions {
  /** Base URL of platd, e.g. http://127.0.0.1:5000 */
  apiUrl: string;
  token?: string;
  /**
   * How JSON requests go (fetch unless given). Streams, downloads and uploads
   * always go by fetch, following redirects only when JSON requests do.
   */
  send?: JsonSender;
}

/** The base URL without trailing slashes, as every path is appended to it. */
export function baseUrl(apiUrl: string): string {
  return apiUrl.replace(/\/+$/, '');
}

/** `/v1/apps/<app><rest>`: the prefix of every per-app route. */
export function appPath(app: string, rest = ''): string {
  return `/v1/apps/${encodeURIComponent(app)}${rest}`;
}

/** `?a=1&b=2` from the parameters that are set, or '' when none is. */
export function queryString(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The API's `{ id, message }` as a PlatError; anything else by its HTTP status. */
export function failure(apiUrl: string, status: number, text: string): PlatError {
  const payload = (safeJson(text) ?? {}) as { id?: unknown; message?: unknown };
  const id = isErrorId(payload.id) ? payload.id : status === 401 ? 'unauthorized' : 'internal_error';
  const message = typeof payload.message === 'string' ? payload.message : `HTTP ${status} from ${apiUrl}`;
  return new PlatError(id, message);
}

/** A network failure (platd down, wrong URL) as the `unavailable` error the CLI explains. */
export function unreachable(apiUrl: string, error: unknown): PlatError {
  const reason =
    (error as { cause?: { code?: string }; code?: string }).cause?.code ??
    (error as { code?: string }).code ??
    (error as Error).message;
  // A certificate Node does not trust: most often a private CA, which Node's own setting trusts.
  const hint = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(reason)
    ? ": the server's certificate is not trusted; for a private CA, set NODE_EXTRA_CA_CERTS to its PEM file"
    : '';
  return new PlatError('unavailable', `Could not reach the Plat API at ${apiUrl} (${reason})${hint}`, {
    cause: error,
  });
}

/** HTTP to platd with the token: JSON requests, text streams, binary down- and uploads. */
export class Transport {
  readonly apiUrl: string;
  readonly #token: string | undefined;
  readonly #send: JsonSender;
  /** fetch's own JSON requests follow redirects; a sender's (the CLI's) do not, and then nothing here does. */
  readonly #redirect: RequestRedirect;

  constructor(options: ClientOptions) {
    this.apiUrl = baseUrl(options.apiUrl);
    this.#token = options.token;
    this.#send = options.send ?? fetchSender;
    this.#redirect = options.send ? 'manual' : 'follow';
  }

  #headers(headers: Record<string, string>): Record<string, string> {
    return this.#token ? { ...headers, authorization: `Bearer ${this.#token}` } : headers;
  }

  async #fetch(path: string, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}${path}`, { ...init, redirect: this.#redirect });
    } catch (error) {
      throw unreachable(this.apiUrl, error);
    }
    const location = response.status >= 300 && response.status < 400 ? response.headers.get('location') : null;
    if (location) {
      // Not followed, as the JSON requests are not: the user learns where the API is now, not a 401 or a failed upload.
      await response.body?.cancel().catch(() => {});
      this.#refuseRedirect(path, location);
    }
    return response;
  }

  /** A redirect not followed: where the API is now, for the user to log in there. */
  #refuseRedirect(path: string, location: string): never {
    const moved = movedApiUrl(`${this.apiUrl}${path}`, location, path);
    const advice = `log in with that URL (plat login --api-url ${moved})`;
    throw new PlatError('unavailable', `The Plat API at ${this.apiUrl} redirects to ${moved}: ${advice}.`);
  }

  async #body(response: Response): Promise<NonNullable<Response['body']>> {
    if (!response.ok || !response.body) throw failure(this.apiUrl, response.status, await response.text());
    return response.body;
  }

  /** A JSON request; resolves with the JSON answer (undefined for an empty one). */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.#json<T>(method, path, { body })).body;
  }

  /** A JSON request; resolves with the JSON answer and its header by name. */
  exchange<T>(method: string, path: string, body?: unknown): Promise<{ body: T; header: JsonAnswer['header'] }> {
    return this.#json<T>(method, path, { body });
  }

  async #json<T>(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> },
  ): Promise<{ body: T; header: JsonAnswer['header'] }> {
    const { body } = options;
    const json: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const headers = this.#headers({ accept: 'application/json', ...json, ...options.headers });
    const request = { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    let answer: JsonAnswer;
    try {
      answer = await this.#send(`${this.apiUrl}${path}`, request);
    } catch (error) {
      throw unreachable(this.apiUrl, error);
    }
    const { status, text, header } = answer;
    // fetch follows redirects itself; a sender that does not says where the API is now.
    const location = status >= 300 && status < 400 ? header('location') : undefined;
    if (location) this.#refuseRedirect(path, location);
    if (status < 200 || status >= 300) throw failure(this.apiUrl, status, text);
    return { body: (text === '' ? undefined : safeJson(text)) as T, header };
  }

  /**
   * One page of a list (Heroku's ranges): its items, and the Range that asks
   * for the next page while more remain (the answer's Next-Range).
   */
  async page<T>(path: string, range?: string): Promise<{ items: T[]; nextRange?: string }> {
    const { body, header } = await this.#json<T[]>('GET', path, range === undefined ? {} : { headers: { range } });
    const nextRange = header('next-range');
    return nextRange === undefined ? { items: body } : { items: body, nextRange };
  }

  /** A whole list: its pages, following Next-Range until the last. */
  async all<T>(path: string): Promise<T[]> {
    const pages: T[][] = [];
    let range: string | undefined;
    do {
      const page = await this.page<T>(path, range);
      // A server that hands back the Range it was sent would page forever.
      if (page.nextRange !== undefined && page.nextRange === range)
        throw new PlatError('internal_error', `${this.apiUrl} sent the same Next-Range twice: ${range}`);
      pages.push(page.items);
      range = page.nextRange;
    } while (range !== undefined);
    return pages.length === 1 ? pages[0]! : pages.flat();
  }

  /** A text response as it arrives (log tails). */
  async stream(path: string, signal?: AbortSignal): Promise<AsyncIterable<string>> {
    const headers = this.#headers({ accept: 'text/plain' });
    const response = await this.#fetch(path, { headers, ...(signal ? { signal } : {}) });
    const body = (await this.#body(response)).pipeThrough(new TextDecoderStream());
    return body as unknown as AsyncIterable<string>;
  }

  /** A binary response as it arrives (state backups). */
  async download(path: string): Promise<ReadableStream<Uint8Array>> {
    return this.#body(await this.#fetch(path, { headers: this.#headers({}) }));
  }

  /** Sends a body as it is read (state restores) and resolves with the JSON answer. */
  async upload<T>(path: string, body: ReadableStream<Uint8Array>, contentType: string): Promise<T> {
    const headers = this.#headers({ accept: 'application/json', 'content-type': contentType });
    // duplex: 'half' is what fetch needs to send a stream; Node's types predate it.
    const response = await this.#fetch(path, { method: 'POST', headers, body, duplex: 'half' } as RequestInit);
    const text = await response.text();
    if (!response.ok) throw failure(this.apiUrl, response.status, text);
    return safeJson(text) as T;
  }
}

/** The API's URL a redirect of `requested` to `location` points at: its path prefix kept, the route's dropped. */
export function movedApiUrl(requested: string, location: string, path: string): string {
  const target = new URL(location, requested);
  const route = path.replace(/\?.*$/, '');
  const prefix = target.pathname.endsWith(route) ? target.pathname.slice(0, -route.length) : '';
  return `${target.origin}${prefix}`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
