import { Type } from '@sinclair/typebox';
import { AppNameParam, TimestampSchema } from './common.js';

/** Log drains: where an app's log stream is also delivered (syslog over TCP or TLS, or HTTPS). */

export const LogDrainSchema = Type.Object({
  id: Type.String(),
  url: Type.String({ description: 'syslog+tls://host:port, syslog://host:port or https://host/path' }),
  token: Type.String({ description: 'd.<uuid>: names the drain in every message it carries, as on Heroku' }),
  created_at: TimestampSchema,
  last_error: Type.Union([Type.String(), Type.Null()], {
    description: 'Why delivery is failing now (platd retries with backoff); null while it works',
  }),
});
export const LogDrainCreateSchema = Type.Object(
  { url: Type.String({ minLength: 1, maxLength: 2048 }) },
  { additionalProperties: false },
);
export const LogDrainParamsSchema = Type.Object({
  app: AppNameParam,
  id: Type.String({ minLength: 1, maxLength: 64, description: "The drain's id or token" }),
});
