import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AppParamsSchema,
  WebhookCreatedSchema,
  WebhookCreateSchema,
  WebhookDeliveriesQuerySchema,
  WebhookDeliverySchema,
  WebhookParamsSchema,
  WebhookSchema,
  WebhookUpdateSchema,
} from '@plat/core';
import type { Platform } from '../../platform.js';
import {
  addWebhook,
  appDeliveries,
  appWebhooks,
  changeWebhook,
  presentWebhook,
  removeWebhook,
  webhookOf,
} from '../../services/webhooks.js';
import { errors } from '../error-responses.js';

export const webhookRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: "The app's webhooks",
        params: AppParamsSchema,
        response: { 200: Type.Array(WebhookSchema), ...errors(403, 404) },
      },
    },
    async (request) => (await appWebhooks(platform, request.appRow)).map((row) => presentWebhook(request.appRow, row)),
  );
  app.post(
    '/v1/apps/:app/webhooks',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Send the app's events to a URL, signed with a secret",
        params: AppParamsSchema,
        body: WebhookCreateSchema,
        response: { 201: WebhookCreatedSchema, ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      const { row, secret } = await addWebhook(platform, request.appRow, request.user!, request.body);
      return reply.code(201).send({ ...presentWebhook(request.appRow, row), secret });
    },
  );
  app.get(
    '/v1/apps/:app/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'One webhook',
        params: WebhookParamsSchema,
        response: { 200: WebhookSchema, ...errors(403, 404) },
      },
    },
    async (request) => presentWebhook(request.appRow, await webhookOf(platform, request.appRow, request.params.id)),
  );
  app.patch(
    '/v1/apps/:app/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: "Change a webhook's URL, event types, level or secret",
        params: WebhookParamsSchema,
        body: WebhookUpdateSchema,
        response: { 200: WebhookSchema, ...errors(403, 404, 422) },
      },
    },
    async (request) => {
      const row = await changeWebhook(platform, request.appRow, request.user!, request.params.id, request.body);
      return presentWebhook(request.appRow, row);
    },
  );
  app.delete(
    '/v1/apps/:app/webhooks/:id',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Remove a webhook; its deliveries still waiting are dropped',
        params: WebhookParamsSchema,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      await removeWebhook(platform, request.appRow, request.user!, request.params.id);
      return reply.code(204).send(null);
    },
  );
  app.get(
    '/v1/apps/:app/webhook-deliveries',
    {
      schema: {
        tags: ['webhooks'],
        summary: "The newest deliveries of the app's webhooks, with each attempt's status code",
        params: AppParamsSchema,
        querystring: WebhookDeliveriesQuerySchema,
        response: { 200: Type.Array(WebhookDeliverySchema), ...errors(403, 404) },
      },
    },
    async (request) => appDeliveries(platform, request.appRow, request.query),
  );
};
