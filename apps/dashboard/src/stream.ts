/**
 * Server-Sent Events over fetch(): EventSource cannot send the Bearer
 * header, and the token must never go in a URL. The parser is the API
 * client's (parseSse); this reads the body with a reader, which every
 * browser has (async iteration of a ReadableStream, which the client's
 * own events() uses, is missing in Safari).
 */
import { PlatError } from '@plat/core';
import { parseSse, type SseMessage } from '@plat/client';

/** A byte stream's text, chunk by chunk. */
export async function* textChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield decoder.decode(value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
}

/** The messages of an SSE endpoint of the API until the signal aborts or the server ends the stream. */
export async function* sseMessages(path: string, token: string, signal: AbortSignal): AsyncGenerator<SseMessage> {
  const response = await fetch(path, {
    headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
    signal,
  });
  if (!response.ok || !response.body) {
    const payload = (await response.json().catch(() => ({}))) as { message?: string };
    throw new PlatError(
      response.status === 401 ? 'unauthorized' : 'internal_error',
      payload.message ?? `HTTP ${response.status}`,
    );
  }
  yield* parseSse(textChunks(response.body));
}

/** Backoff before reconnecting a stream: 1 s doubling to 30 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, attempt));
}
