import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AddonCreateSchema,
  AddonDestroyQuerySchema,
  AddonParamsSchema,
  AddonSchema,
  AddonServiceInfoSchema,
  AppParamsSchema,
  PlatError,
} from '@plat/core';
import { providers } from '../../addons/registry.js';
import type { Platform } from '../../platform.js';
import { createAddon, destroyAddon, presentAddon, restartAddon } from '../../services/addons.js';
import { findAddon, listAddons } from '../../store/addons.js';
import { errors } from '../error-responses.js';

export const addonRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;

  app.get(
    '/v1/addon-services',
    {
      schema: {
        tags: ['add-ons'],
        summary: 'Add-on providers and their plans',
        response: { 200: Type.Array(AddonServiceInfoSchema) },
      },
    },
    async () =>
      providers.map((p) => ({
        name: p.name,
        description: p.description,
        default_plan: p.defaultPlan,
        config_var: `${p.defaultAttachment}_URL`,
        plans: p.plans,
      })),
  );

  app.get(
    '/v1/apps/:app/addons',
    {
      schema: {
        tags: ['add-ons'],
        summary: "The app's add-ons",
        params: AppParamsSchema,
        response: { 200: Type.Array(AddonSchema), ...errors(403, 404) },
      },
    },
    async (request) =>
      Promise.all((await listAddons(sql, request.appRow.id)).map((addon) => presentAddon(platform, addon))),
  );

  app.post(
    '/v1/apps/:app/addons',
    {
      schema: {
        tags: ['add-ons'],
        summary: 'Provision an add-on and attach it (sets its config var, makes a release)',
        params: AppParamsSchema,
        body: AddonCreateSchema,
        response: { 201: AddonSchema, ...errors(403, 404, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const { plan, as } = request.body;
      const addon = await createAddon(platform, request.appRow, request.user!, { spec: plan, ...(as ? { as } : {}) });
      return reply.code(201).send(await presentAddon(platform, addon));
    },
  );

  app.get(
    '/v1/apps/:app/addons/:addon',
    {
      schema: {
        tags: ['add-ons'],
        summary: 'One add-on',
        params: AddonParamsSchema,
        response: { 200: AddonSchema, ...errors(403, 404) },
      },
    },
    async (request) => {
      const row = request.appRow;
      const addon = await findAddon(sql, row.id, request.params.addon);
      if (!addon) throw new PlatError('not_found', `Couldn't find add-on ${request.params.addon} on ${row.name}.`);
      return presentAddon(platform, addon);
    },
  );

  app.post(
    '/v1/apps/:app/addons/:addon/actions/restart',
    {
      schema: {
        tags: ['add-ons'],
        summary: "Restart the add-on's server (its data stays)",
        params: AddonParamsSchema,
        response: { 202: Type.Object({}), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      await restartAddon(platform, request.appRow, request.params.addon);
      return reply.code(202).send({});
    },
  );

  app.delete(
    '/v1/apps/:app/addons/:addon',
    {
      schema: {
        tags: ['add-ons'],
        summary: 'Detach and destroy an add-on with its data; requires ?confirm=<add-on name>',
        params: AddonParamsSchema,
        querystring: AddonDestroyQuerySchema,
        response: { 204: Type.Null(), ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      await destroyAddon(platform, request.appRow, request.user!, request.params.addon, request.query.confirm);
      return reply.code(204).send(null);
    },
  );
};
