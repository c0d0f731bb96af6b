import type { ClientRequest, IncomingMessage } from 'node:http';
import { requestFor } from '@plat/client/node-sender';
import { isErrorId, PlatError } from '@plat/core';
import { requireCredentials } from '../../credentials.js';

/**
 * admin:export and admin:import speak node:http, not fetch: fetch gives up
 * after 5 minutes without response headers (an import answers once images
 * and add-on data are loaded) or between body chunks (an export is silent
 * while a large database is dumped), and a Plat takes longer than that.
 */
export function archiveRequest(
  env: NodeJS.ProcessEnv,
  options: { method: 'GET' | 'POST'; path: string; headers: Record<string, string | number> },
): { request: ClientRequest; response: Promise<IncomingMessage>; apiUrl: string } {
  const { apiUrl, token } = requireCredentials(env);
  const url = new URL(`${apiUrl.replace(/\/+$/, '')}${options.path}`);
  const request = requestFor(url)(url, {
    method: options.method,
    headers: { authorization: `Bearer ${token}`, ...options.headers },
  });
  const response = new Promise<IncomingMessage>((resolvePromise, reject) => {
    request.on('response', resolvePromise);
    request.on('error', (error) => {
      const reason = (error as { code?: string }).code ?? error.message;
      reject(new PlatError('unavailable', `Could not reach the Plat API at ${apiUrl} (${reason})`));
    });
  });
  return { request, response, apiUrl };
}

/** An answer that is not 2xx, as the API's `{ id, message }` error; its body is read whole (it is small). */
export async function answerError(response: IncomingMessage, apiUrl: string): Promise<PlatError> {
  let text = '';
  for await (const chunk of response) if (text.length < 1024 ** 2) text += (chunk as Buffer).toString();
  let payload: { id?: unknown; message?: unknown } = {};
  try {
    payload = (JSON.parse(text) ?? {}) as typeof payload;
  } catch {
    payload = {};
  }
  const status = response.statusCode ?? 0;
  return new PlatError(
    isErrorId(payload.id) ? payload.id : status === 401 ? 'unauthorized' : 'internal_error',
    typeof payload.message === 'string' ? payload.message : `HTTP ${status} from ${apiUrl}`,
  );
}
