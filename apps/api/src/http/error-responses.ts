import { Type, type TSchema } from '@sinclair/typebox';

/** A route's error responses, for the OpenAPI document: each is the catalogue's `{ id, message }`. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('Error')]));
}
