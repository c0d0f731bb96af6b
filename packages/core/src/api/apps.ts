import { Type } from '@sinclair/typebox';
import { APP_NAME_PATTERN } from '../app-name.js';
import { AppNameParam, TimestampSchema } from './common.js';

/** Apps, their config vars, domains, collaborators and audit events. */

export const AppSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  owner: Type.String(),
  stack: Type.String(),
  buildpack: Type.Union([Type.String(), Type.Null()]),
  maintenance: Type.Boolean(),
  web_url: Type.String(),
  git_url: Type.String(),
  created_at: TimestampSchema,
  updated_at: TimestampSchema,
});

export const AppCreateSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({ maxLength: 100, description: `Pattern ${APP_NAME_PATTERN.source}; omit for a generated name` }),
    ),
  },
  { additionalProperties: false },
);

export const AppUpdateSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 100 })),
    maintenance: Type.Optional(Type.Boolean()),
    buildpack: Type.Optional(
      Type.Union([Type.String({ maxLength: 30 }), Type.Null()], { description: 'A buildpack name, or null to detect' }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const AppDestroyQuerySchema = Type.Object({ confirm: Type.Optional(Type.String({ maxLength: 100 })) });

export const ConfigVarsSchema = Type.Record(Type.String(), Type.String());
export const ConfigVarsPatchSchema = Type.Record(
  Type.String({ maxLength: 128 }),
  Type.Union([Type.String(), Type.Null()]),
  { description: 'Values to set; null unsets a var' },
);

export const DomainSchema = Type.Object({ id: Type.String(), hostname: Type.String(), created_at: TimestampSchema });
export const DomainCreateSchema = Type.Object(
  { hostname: Type.String({ minLength: 1, maxLength: 253 }) },
  { additionalProperties: false },
);
export const DomainParamsSchema = Type.Object({ app: AppNameParam, hostname: Type.String({ maxLength: 253 }) });

export const CollaboratorSchema = Type.Object({ email: Type.String(), created_at: TimestampSchema });
export const CollaboratorCreateSchema = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254 }) },
  { additionalProperties: false },
);
export const CollaboratorParamsSchema = Type.Object({ app: AppNameParam, email: Type.String({ maxLength: 254 }) });

export const AuditEventSchema = Type.Object({
  id: Type.String(),
  app: Type.String(),
  actor: Type.String(),
  action: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  created_at: TimestampSchema,
});
export const AuditQuerySchema = Type.Object({
  limit: Type.Optional(Type.String({ pattern: '^([1-9][0-9]{0,2}|1000)$', description: '1 to 1000 (default 100)' })),
});
