/**
 * The one error catalogue. Every error Plat reports has an id equal to its key
 * here, an HTTP status, and a default message; the API's error handler and the
 * CLI's main() turn a PlatError into a response or an exit code.
 */
export const catalogue = {
  invalid_params: { status: 422, message: 'The request parameters are invalid.' },
  unauthorized: { status: 401, message: 'Invalid credentials provided.' },
  forbidden: { status: 403, message: 'You do not have access to this resource.' },
  not_found: { status: 404, message: 'Resource not found.' },
  conflict: { status: 409, message: 'The resource conflicts with an existing one.' },
  payload_too_large: { status: 413, message: 'The request body is too large.' },
  requested_range_not_satisfiable: { status: 416, message: 'The Range header is malformed or not supported.' },
  rate_limited: { status: 429, message: 'Too many requests.' },
  // 403, not 429: waiting does not help; the owner must free something or the operator raise the quota.
  quota_exceeded: { status: 403, message: 'This would exceed a quota.' },
  no_buildpack: { status: 422, message: 'No buildpack could detect this app.' },
  build_failed: { status: 422, message: 'The build failed.' },
  release_failed: { status: 422, message: 'The release failed to start.' },
  unavailable: { status: 503, message: 'A service Plat depends on is unavailable.' },
  // 503: no app can get a network until one is destroyed or the operator gives Plat a larger pool.
  network_pool_exhausted: { status: 503, message: 'No network block is free in PLAT_NETWORK_POOL.' },
  internal_error: { status: 500, message: 'Something went wrong inside Plat.' },
} as const;

export type ErrorId = keyof typeof catalogue;

export class PlatError extends Error {
  readonly id: ErrorId;
  readonly status: number;

  constructor(id: ErrorId, message?: string, options?: { cause?: unknown }) {
    super(message ?? catalogue[id].message, options);
    this.name = 'PlatError';
    this.id = id;
    this.status = catalogue[id].status;
  }

  toJSON(): { id: ErrorId; message: string } {
    return { id: this.id, message: this.message };
  }
}

export function isErrorId(value: unknown): value is ErrorId {
  return typeof value === 'string' && Object.hasOwn(catalogue, value);
}
