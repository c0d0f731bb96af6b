/** Following a push's progress stream from Docker to its end. */
import type Docker from 'dockerode';

const PUSH_TIMEOUT_MS = 15 * 60_000;

interface PushEvent {
  status?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/** Follows a push's progress stream to its end; rejects with Docker's own message when a step failed. */
export function followPush(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  ref: string,
  onProgress?: (line: string) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      reject(new Error(`pushing ${ref} did not finish within ${PUSH_TIMEOUT_MS / 60_000} min`));
    }, PUSH_TIMEOUT_MS);
    let digest: string | undefined;
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (error: Error | null) => {
        clearTimeout(timer);
        if (error) reject(new Error(`pushing ${ref} failed: ${error.message}`));
        else if (failure) reject(new Error(`pushing ${ref} failed: ${failure}`));
        else if (!digest) reject(new Error(`pushing ${ref} ended without the registry's digest`));
        else resolve(digest);
      },
      (event: PushEvent) => {
        if (event.error || event.errorDetail) failure ??= event.errorDetail?.message ?? event.error;
        if (event.aux?.Digest) digest = event.aux.Digest;
        if (event.status && onProgress) onProgress(event.id ? `${event.id}: ${event.status}` : event.status);
      },
    );
  });
}
