import { request } from 'node:http';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Sent as well as Host and Connection. */
  headers?: Record<string, string>;
}

/** GET through the router on loopback, naming the app by its Host header. */
export function get(port: number, host: string, path = '/', options: RequestOptions = {}): Promise<HttpResult> {
  return send('GET', { port, host, path, ...options });
}

/** POST with an empty body, the same way. */
export function post(port: number, host: string, path = '/', options: RequestOptions = {}): Promise<HttpResult> {
  return send('POST', { port, host, path, ...options });
}

function send(
  method: string,
  {
    port,
    host,
    path,
    timeoutMs = 10_000,
    headers: extra = {},
  }: RequestOptions & { port: number; host: string; path: string },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers = { ...extra, host, connection: 'close', ...(method === 'POST' ? { 'content-length': '0' } : {}) };
    const req = request({ host: '127.0.0.1', port, path, method, headers, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} http://${host}${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
