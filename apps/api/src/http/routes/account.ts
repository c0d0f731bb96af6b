import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AccountSchema,
  PlatError,
  TokenCreateSchema,
  TokenCreatedSchema,
  TokenParamsSchema,
  TokenSchema,
} from '@plat/core';
import type { Platform } from '../../platform.js';
import { tokenExpiry } from '../../services/users.js';
import { createTokenRow, listTokens, revokeToken, type TokenRow } from '../../store/users.js';
import { errors } from '../error-responses.js';

export const presentToken = (token: TokenRow) => ({
  id: token.id,
  description: token.description,
  created_at: token.created_at.toISOString(),
  last_used_at: token.last_used_at?.toISOString() ?? null,
  expires_at: token.expires_at?.toISOString() ?? null,
});

export const accountRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;
  app.get(
    '/v1/account',
    { schema: { tags: ['account'], summary: 'Who the token belongs to', response: { 200: AccountSchema } } },
    async (request) => ({ user: request.user!.email, admin: request.user!.admin }),
  );

  app.get(
    '/v1/account/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Your tokens (never their secrets)',
        response: { 200: Type.Array(TokenSchema) },
      },
    },
    async (request) => (await listTokens(sql, request.user!.id)).map(presentToken),
  );

  app.post(
    '/v1/account/tokens',
    {
      schema: {
        tags: ['tokens'],
        summary:
          'Create a token, optionally expiring (expires_in seconds, or expires_at); ' +
          'its secret is shown only in this response',
        body: TokenCreateSchema,
        response: { 201: TokenCreatedSchema, ...errors(422) },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const expiry = tokenExpiry(body);
      const token = await createTokenRow(sql, request.user!.id, {
        description: body.description ?? '',
        ...(expiry ? { expiry } : {}),
      });
      return reply.code(201).send({ ...presentToken(token), token: token.token });
    },
  );

  app.delete(
    '/v1/account/tokens/:id',
    {
      schema: {
        tags: ['tokens'],
        summary: "Revoke a token: one of yours, or (admins) anyone's",
        params: TokenParamsSchema,
        response: { 204: Type.Null(), ...errors(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (!(await revokeToken(sql, request.user!.id, id, { anyUser: request.user!.admin }))) {
        throw new PlatError('not_found', `Couldn't find token ${id}.`);
      }
      return reply.code(204).send(null);
    },
  );
};
