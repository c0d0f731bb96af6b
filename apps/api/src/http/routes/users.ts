import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  PlatError,
  TokenSchema,
  UserCreatedSchema,
  UserCreateSchema,
  UserParamsSchema,
  UserSchema,
  UserUpdateSchema,
} from '@plat/core';
import { requireAdmin } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { checkEmail, createUser, setDisabled } from '../../services/users.js';
import { findUserByEmail, listTokens, listUsers, type UserRow } from '../../store/users.js';
import { errors } from '../error-responses.js';
import { presentToken } from './account.js';

const presentUser = (user: UserRow) => ({
  email: user.email,
  admin: user.admin,
  disabled: user.disabled_at !== null,
  disabled_at: user.disabled_at?.toISOString() ?? null,
  created_at: user.created_at.toISOString(),
  tokens: user.tokens,
  apps: user.apps,
});

/** Users, for admins only: add, list, disable or enable, and see anyone's tokens. */
export const userRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;
  // Before validation, so someone who is not an admin learns nothing about the schemas either.
  app.addHook('preValidation', async (request) => requireAdmin(request.user!));

  app.get(
    '/v1/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Every user (admins only)',
        response: { 200: Type.Array(UserSchema), ...errors(403) },
      },
    },
    async () => (await listUsers(sql)).map(presentUser),
  );

  app.post(
    '/v1/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Add a user (admins only); returns their first token, once',
        body: UserCreateSchema,
        response: { 201: UserCreatedSchema, ...errors(403, 409, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createUser(platform, request.body.email, request.body.admin ?? false)),
  );

  app.patch(
    '/v1/users/:email',
    {
      schema: {
        tags: ['users'],
        summary:
          'Disable a user (their tokens get 401 at once, git included) ' +
          'or enable them again (admins only; not yourself)',
        params: UserParamsSchema,
        body: UserUpdateSchema,
        response: { 200: UserSchema, ...errors(403, 404, 422) },
      },
    },
    async (request) => {
      const change = { admin: request.user!, email: request.params.email, disabled: request.body.disabled };
      return presentUser(await setDisabled(platform, change));
    },
  );

  app.get(
    '/v1/users/:email/tokens',
    {
      schema: {
        tags: ['users'],
        summary: "A user's tokens, never their secrets (admins only)",
        params: UserParamsSchema,
        response: { 200: Type.Array(TokenSchema), ...errors(403, 404) },
      },
    },
    async (request) => {
      const email = checkEmail(request.params.email);
      const user = await findUserByEmail(sql, email);
      if (!user) throw new PlatError('not_found', `Couldn't find the user ${email}.`);
      return (await listTokens(sql, user.id)).map(presentToken);
    },
  );
};
