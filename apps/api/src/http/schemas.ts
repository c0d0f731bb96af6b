import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { APP_NAME_PATTERN } from '@plat/core';

/**
 * The API's shapes, once: fastify validates requests against them, shapes
 * responses by them, and the OpenAPI document at /v1/openapi.json is made
 * from them.
 */

export const ErrorBody = Type.Object(
  { id: Type.String({ description: 'Stable error id from the catalogue' }), message: Type.String() },
  { $id: 'Error' },
);

const Timestamp = Type.String({ format: 'date-time' });

export const AppParams = Type.Object({ app: Type.String({ minLength: 1, maxLength: 100 }) });

export const App = Type.Object({
  id: Type.String(),
  name: Type.String(),
  owner: Type.String(),
  stack: Type.String(),
  buildpack: Type.Union([Type.String(), Type.Null()]),
  maintenance: Type.Boolean(),
  web_url: Type.String(),
  git_url: Type.String(),
  created_at: Timestamp,
  updated_at: Timestamp,
});

export const AppCreate = Type.Object(
  { name: Type.Optional(Type.String({ maxLength: 100, description: `Pattern ${APP_NAME_PATTERN.source}; omit for a generated name` })) },
  { additionalProperties: false },
);

export const AppUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100 })),
    maintenance: Type.Optional(Type.Boolean()),
    buildpack: Type.Optional(Type.Union([Type.String({ maxLength: 30 }), Type.Null()], { description: 'A buildpack name, or null to detect' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const AppDestroyQuery = Type.Object({ confirm: Type.Optional(Type.String({ maxLength: 100 })) });

export const ConfigVars = Type.Record(Type.String(), Type.String());
export const ConfigVarsPatch = Type.Record(Type.String({ maxLength: 128 }), Type.Union([Type.String(), Type.Null()]), {
  description: 'Values to set; null unsets a var',
});

export const Build = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  source_commit: Type.String(),
  buildpack: Type.Union([Type.String(), Type.Null()]),
  image: Type.Union([Type.String(), Type.Null()]),
  process_types: Type.Union([Type.Record(Type.String(), Type.String()), Type.Null()]),
  created_at: Timestamp,
  updated_at: Timestamp,
});
export const BuildWithOutput = Type.Composite([Build, Type.Object({ output: Type.String() })]);

export const Release = Type.Object({
  id: Type.String(),
  app: Type.String(),
  version: Type.Integer(),
  description: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
  image: Type.Union([Type.String(), Type.Null()]),
  process_types: Type.Record(Type.String(), Type.String()),
  current: Type.Boolean(),
  created_at: Timestamp,
});
export const Rollback = Type.Object(
  { release: Type.Union([Type.Integer({ minimum: 1 }), Type.String({ maxLength: 64 })], { description: 'Version (3 or "v3") or release id' }) },
  { additionalProperties: false },
);

export const ProcessType = Type.String({ pattern: '^[A-Za-z0-9_-]{1,30}$' });
export const FormationEntry = Type.Object({
  type: Type.String(),
  quantity: Type.Integer(),
  size: Type.String(),
  command: Type.Union([Type.String(), Type.Null()]),
});
const FormationUpdate = Type.Object(
  { type: ProcessType, quantity: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })), size: Type.Optional(Type.String({ maxLength: 30 })) },
  { additionalProperties: false },
);
export const FormationBatch = Type.Union([
  Type.Array(FormationUpdate, { minItems: 1, maxItems: 50 }),
  Type.Object({ updates: Type.Array(FormationUpdate, { minItems: 1, maxItems: 50 }) }, { additionalProperties: false }),
]);

export const Dyno = Type.Object({
  id: Type.String(),
  name: Type.String(),
  type: Type.String(),
  state: Type.Union([Type.Literal('up'), Type.Literal('starting'), Type.Literal('crashed')]),
  restarts: Type.Integer({ description: 'Crash restarts since it last stayed up 10 minutes' }),
  release: Type.Integer(),
  command: Type.String(),
  exit_code: Type.Union([Type.Integer(), Type.Null()]),
  created_at: Timestamp,
});
export const DynoParams = Type.Object({ app: Type.String({ maxLength: 100 }), dyno: Type.String({ pattern: '^[A-Za-z0-9_-]{1,30}(\\.\\d{1,4})?$' }) });

export const Domain = Type.Object({ id: Type.String(), hostname: Type.String(), created_at: Timestamp });
export const DomainCreate = Type.Object({ hostname: Type.String({ minLength: 1, maxLength: 253 }) }, { additionalProperties: false });
export const DomainParams = Type.Object({ app: Type.String({ maxLength: 100 }), hostname: Type.String({ maxLength: 253 }) });

export const Collaborator = Type.Object({ email: Type.String(), created_at: Timestamp });
export const CollaboratorCreate = Type.Object({ email: Type.String({ minLength: 3, maxLength: 254 }) }, { additionalProperties: false });
export const CollaboratorParams = Type.Object({ app: Type.String({ maxLength: 100 }), email: Type.String({ maxLength: 254 }) });

export const Token = Type.Object({
  id: Type.String(),
  description: Type.String(),
  created_at: Timestamp,
  last_used_at: Type.Union([Timestamp, Type.Null()]),
  expires_at: Type.Union([Timestamp, Type.Null()], { description: 'After this the token gets 401; null: never' }),
});
export const TokenCreated = Type.Composite([Token, Type.Object({ token: Type.String({ description: 'Shown once; only its hash is kept' }) })]);
export const TokenCreate = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 200 })),
    expires_in: Type.Optional(Type.Integer({ minimum: 1, maximum: 315_360_000, description: 'Seconds until the token stops working' })),
    expires_at: Type.Optional(Type.String({ maxLength: 64, description: 'When the token stops working (ISO 8601)' })),
  },
  { additionalProperties: false },
);

export const Account = Type.Object({ user: Type.String(), admin: Type.Boolean() });
export const UserCreate = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254 }), admin: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const UserCreated = Type.Object({ email: Type.String(), admin: Type.Boolean(), token: Type.String() });
export const User = Type.Object({
  email: Type.String(),
  admin: Type.Boolean(),
  disabled: Type.Boolean(),
  disabled_at: Type.Union([Timestamp, Type.Null()]),
  created_at: Timestamp,
  tokens: Type.Integer(),
  apps: Type.Integer({ description: 'Apps the user owns' }),
});
export const UserUpdate = Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false });
export const UserParams = Type.Object({ email: Type.String({ maxLength: 254 }) });

export const AuditEvent = Type.Object({
  id: Type.String(),
  app: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  created_at: Timestamp,
});
export const AuditQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: '1 to 1000 (default 100)' })) });

/** Common error responses, for the OpenAPI document. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, Type.Ref('Error')]));
}

export type StaticOf<T extends TSchema> = Static<T>;
