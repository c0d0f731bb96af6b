import { Type } from '@sinclair/typebox';
import { TimestampSchema } from './common.js';

/** Your account and tokens; users, for admins. */

export const AccountSchema = Type.Object({ user: Type.String(), admin: Type.Boolean() });

export const TokenSchema = Type.Object({
  id: Type.String(),
  description: Type.String(),
  created_at: TimestampSchema,
  last_used_at: Type.Union([TimestampSchema, Type.Null()]),
  expires_at: Type.Union([TimestampSchema, Type.Null()], { description: 'After this the token gets 401; null: never' }),
});
export const TokenCreatedSchema = Type.Composite([
  TokenSchema,
  Type.Object({ token: Type.String({ description: 'Shown once; only its hash is kept' }) }),
]);
export const TokenCreateSchema = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 200 })),
    expires_in: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 315_360_000, description: 'Seconds until the token stops working' }),
    ),
    expires_at: Type.Optional(Type.String({ maxLength: 64, description: 'When the token stops working (ISO 8601)' })),
  },
  { additionalProperties: false },
);
export const TokenParamsSchema = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const UserSchema = Type.Object({
  email: Type.String(),
  admin: Type.Boolean(),
  disabled: Type.Boolean(),
  disabled_at: Type.Union([TimestampSchema, Type.Null()]),
  created_at: TimestampSchema,
  tokens: Type.Integer(),
  apps: Type.Integer({ description: 'Apps the user owns' }),
});
export const UserCreateSchema = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254 }), admin: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export const UserCreatedSchema = Type.Object({ email: Type.String(), admin: Type.Boolean(), token: Type.String() });
export const UserUpdateSchema = Type.Object({ disabled: Type.Boolean() }, { additionalProperties: false });
export const UserParamsSchema = Type.Object({ email: Type.String({ maxLength: 254 }) });
