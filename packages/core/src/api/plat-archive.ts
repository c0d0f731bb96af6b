import { type Static, Type } from '@sinclair/typebox';

/** `plat admin:import`: what a Plat exported by `plat admin:export` brought into this one. */
export const PlatImportedSchema = Type.Object({
  apps: Type.Array(Type.Object({ name: Type.String(), release: Type.Integer() })),
  export: Type.Object({ instance: Type.String(), created_at: Type.String() }),
  images: Type.Integer(),
  addons: Type.Integer(),
  /** What the operator should do next here (a domain that differs, host keys to serve). */
  warnings: Type.Array(Type.String()),
});

export type PlatImported = Static<typeof PlatImportedSchema>;

/**
 * The response header of GET /v1/admin/export: at least how many bytes the
 * archive takes, so a client can refuse to start on a disk without room.
 */
export const EXPORT_BYTES_HEADER = 'x-plat-export-bytes';
