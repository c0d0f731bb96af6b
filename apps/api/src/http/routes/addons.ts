import type { FastifyPluginAsync } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PlatError } from '@plat/core';
import { providers } from '../../addons/registry.js';
import { appForUser } from '../../auth/access.js';
import type { Platform } from '../../platform.js';
import { createAddon, destroyAddon, presentAddon, restartAddon } from '../../services/addons.js';
import { findAddon, listAddons } from '../../store/addons.js';
import { AppParams, errors } from '../schemas.js';

const Addon = Type.Object({
  name: Type.String(),
  provider: Type.String(),
  plan: Type.String(),
  config_var: Type.String(),
  state: Type.String({ description: 'available, starting, stopped or missing' }),
  created_at: Type.String({ format: 'date-time' }),
});
const AddonCreate = Type.Object(
  {
    plan: Type.String({ pattern: '^[a-z]+(:[a-z]+)?$', description: 'provider or provider:plan, e.g. postgres:hobby' }),
    as: Type.Optional(Type.String({ maxLength: 40, description: 'Attachment name: ANALYTICS_DATABASE sets ANALYTICS_DATABASE_URL' })),
  },
  { additionalProperties: false },
);
const AddonParams = Type.Object({ app: Type.String({ maxLength: 100 }), addon: Type.String({ maxLength: 100 }) });

export const addonRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  const { sql } = platform;

  app.get(
    '/v1/addon-services',
    { schema: { tags: ['add-ons'], summary: 'Add-on providers and their plans' } },
    async () => providers.map((p) => ({ name: p.name, description: p.description, default_plan: p.defaultPlan, config_var: `${p.defaultAttachment}_URL`, plans: p.plans })),
  );

  app.get(
    '/v1/apps/:app/addons',
    { schema: { tags: ['add-ons'], summary: "The app's add-ons", params: AppParams, response: { 200: Type.Array(Addon), ...errors(403, 404) } } },
    async (request) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      return Promise.all((await listAddons(sql, row.id)).map((addon) => presentAddon(platform, addon)));
    },
  );

  app.post(
    '/v1/apps/:app/addons',
    {
      schema: { tags: ['add-ons'], summary: 'Provision an add-on and attach it (sets its config var, makes a release)', params: AppParams, body: AddonCreate, response: { 201: Addon, ...errors(403, 404, 409, 422, 503) } },
    },
    async (request, reply) => {
      const row = await appForUser(sql, request.user!, (request.params as Static<typeof AppParams>).app);
      const body = request.body as Static<typeof AddonCreate>;
      const addon = await createAddon(platform, row, request.user!, { spec: body.plan, ...(body.as ? { as: body.as } : {}) });
      return reply.code(201).send(await presentAddon(platform, addon));
    },
  );

  app.get(
    '/v1/apps/:app/addons/:addon',
    { schema: { tags: ['add-ons'], summary: 'One add-on', params: AddonParams, response: { 200: Addon, ...errors(403, 404) } } },
    async (request) => {
      const params = request.params as Static<typeof AddonParams>;
      const row = await appForUser(sql, request.user!, params.app);
      const addon = await findAddon(sql, row.id, params.addon);
      if (!addon) throw new PlatError('not_found', `Couldn't find add-on ${params.addon} on ${row.name}.`);
      return presentAddon(platform, addon);
    },
  );

  app.post(
    '/v1/apps/:app/addons/:addon/actions/restart',
    { schema: { tags: ['add-ons'], summary: "Restart the add-on's server (its data stays)", params: AddonParams, response: { 202: Type.Object({}), ...errors(403, 404) } } },
    async (request, reply) => {
      const params = request.params as Static<typeof AddonParams>;
      await restartAddon(platform, await appForUser(sql, request.user!, params.app), params.addon);
      return reply.code(202).send({});
    },
  );

  app.delete(
    '/v1/apps/:app/addons/:addon',
    {
      schema: {
        tags: ['add-ons'],
        summary: 'Detach and destroy an add-on with its data; requires ?confirm=<add-on name>',
        params: AddonParams,
        querystring: Type.Object({ confirm: Type.Optional(Type.String({ maxLength: 100 })) }),
        response: { 204: Type.Null(), ...errors(403, 404, 422) },
      },
    },
    async (request, reply) => {
      const params = request.params as Static<typeof AddonParams>;
      const row = await appForUser(sql, request.user!, params.app);
      await destroyAddon(platform, row, request.user!, params.addon, (request.query as { confirm?: string }).confirm);
      return reply.code(204).send();
    },
  );
};
