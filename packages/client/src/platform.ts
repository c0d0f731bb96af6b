import type { DiskReport, PlatformStatus, StateRestored } from '@plat/core';
import type { Transport } from './transport.js';

/** The platform's own state and disk, for admins only. */
export function adminResource(http: Transport) {
  return {
    /** What Plat holds on disk per app, the build cache and the data dir's free space. */
    disk: (): Promise<DiskReport> => http.request('GET', '/v1/admin/disk'),
    /** The state as a tar stream (plat admin:backup). */
    backup: (): Promise<ReadableStream<Uint8Array>> => http.download('/v1/admin/backup'),
    /** Loads a state backup into a Plat with no apps (plat admin:restore). */
    restore: (backup: ReadableStream<Uint8Array>): Promise<StateRestored> =>
      http.upload('/v1/admin/restore', backup, 'application/x-tar'),
  };
}

/** The platform's health: database, Docker, router, stack image. */
export function statusResource(http: Transport) {
  return (): Promise<PlatformStatus> => http.request('GET', '/v1/status');
}

/** The API's OpenAPI document, made from the same schemas as @plat/core's types. */
export function openapiResource(http: Transport) {
  return (): Promise<Record<string, unknown>> => http.request('GET', '/v1/openapi.json');
}
