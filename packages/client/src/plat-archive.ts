import type { PlatImported } from '@plat/core';
import type { Transport } from './transport.js';

/**
 * A whole Plat as one archive (plat admin:export, admin:import), for admins only.
 *
 * Both go through fetch, which in Node (undici) gives up after 5 minutes
 * without response headers or between body chunks: an import answers only
 * once images and add-on data are loaded, and an export is silent while a
 * large database is dumped. Fine for a small Plat; for a large one pass
 * undici's `dispatcher` with `headersTimeout: 0, bodyTimeout: 0` to fetch,
 * or do as the `plat` CLI does (node:http, apps/cli/src/commands/admin/archive-http.ts).
 */
export function platArchiveResource(http: Transport) {
  return {
    /** The archive as a tar stream, made as it is read. */
    export: (): Promise<ReadableStream<Uint8Array>> => http.download('/v1/admin/export'),
    /** Imports an archive into a Plat with no apps: verified whole first, then applied whole or not at all. */
    import: (archive: ReadableStream<Uint8Array>): Promise<PlatImported> =>
      http.upload('/v1/admin/import', archive, 'application/vnd.plat.export+tar'),
  };
}
