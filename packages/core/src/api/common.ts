import { Type } from '@sinclair/typebox';

/** Every error response: `{ "id": ..., "message": ... }`; the ids are the catalogue's (errors.ts). */
export const ErrorBodySchema = Type.Object(
  { id: Type.String({ description: 'Stable error id from the catalogue' }), message: Type.String() },
  { $id: 'Error' },
);

export const TimestampSchema = Type.String({ format: 'date-time' });

/** `:app` in a path: an app's name. */
export const AppParamsSchema = Type.Object({ app: Type.String({ minLength: 1, maxLength: 100 }) });

/** The name of an app in a path beside another parameter. */
export const AppNameParam = Type.String({ maxLength: 100 });
