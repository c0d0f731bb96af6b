import type { TObject, TSchema } from '@sinclair/typebox';
import { APP_NAME_PATTERN, ATTACH_PROTOCOL, AttachQuerySchema, FrameKind, PsqlQuerySchema } from '@plat/core';

/**
 * `plat run` and `plat pg:psql` are HTTP upgrades (attach.ts), which never
 * reach a fastify route, so @fastify/swagger cannot see them: their entries
 * in /v1/openapi.json are made here, from the same query schemas.
 */

interface OpenApiObject {
  paths?: object;
  components?: { schemas?: object };
}

const FRAMES = [
  `After \`101 Switching Protocols\` the connection carries the session: the client sends stdin as raw bytes;`,
  'the server sends frames of one byte of kind, four bytes of payload length (big-endian), then the payload.',
  `Kinds: ${FrameKind.stdout} stdout, ${FrameKind.stderr} stderr,`,
  `${FrameKind.exit} exit (the exit code as decimal text), ${FrameKind.error} error (a message);`,
  'the server closes the connection after an exit or error frame.',
  'Refusals come before the upgrade as an ordinary response with the error body, and the connection closes.',
  'Each upgrade counts against the per-user rate limit like any request.',
].join(' ');

/** A TypeBox property as an OpenAPI 3.0 parameter schema (3.0 has no `const`). */
function parameterSchema(schema: TSchema): Record<string, unknown> {
  const { description: _description, const: constant, ...rest } = schema as Record<string, unknown>;
  return constant === undefined ? rest : { ...rest, enum: [constant] };
}

function queryParameters(query: TObject): Record<string, unknown>[] {
  return Object.entries(query.properties).map(([name, schema]) => ({
    schema: parameterSchema(schema),
    in: 'query',
    name,
    required: query.required?.includes(name) ?? false,
    ...(schema.description ? { description: schema.description } : {}),
  }));
}

function operation(spec: { tags: string[]; summary: string; query: TObject; errorRef: string; statuses: number[] }) {
  const error = {
    description: 'Refused before the upgrade',
    content: { 'application/json': { schema: { $ref: spec.errorRef } } },
  };
  return {
    get: {
      summary: spec.summary,
      tags: spec.tags,
      description: FRAMES,
      parameters: [
        ...queryParameters(spec.query),
        { schema: { type: 'string', pattern: APP_NAME_PATTERN.source }, in: 'path', name: 'app', required: true },
        { schema: { type: 'string', enum: [ATTACH_PROTOCOL] }, in: 'header', name: 'Upgrade', required: true },
        { schema: { type: 'string', enum: ['Upgrade'] }, in: 'header', name: 'Connection', required: true },
      ],
      responses: {
        101: { description: `Switching Protocols to ${ATTACH_PROTOCOL}: the session's frames follow` },
        ...Object.fromEntries(spec.statuses.map((status) => [status, error])),
      },
    },
  };
}

/** Adds the attach upgrades to the OpenAPI document @fastify/swagger made. */
export function withAttachPaths<T extends OpenApiObject>(openapiObject: T): T {
  // Swagger names the error body's component itself (def-N): find it by its title.
  const schemas = Object.entries(openapiObject.components?.schemas ?? {}) as [string, { title?: string }][];
  const errorName = schemas.find(([, schema]) => schema.title === 'Error')?.[0];
  const errorRef = `#/components/schemas/${errorName ?? 'Error'}`;
  openapiObject.paths = {
    ...openapiObject.paths,
    '/v1/apps/{app}/dynos/attach': operation({
      tags: ['dynos'],
      summary: 'Run a command in a one-off dyno attached to this connection (plat run)',
      query: AttachQuerySchema,
      errorRef,
      statuses: [401, 403, 404, 409, 422, 429],
    }),
    '/v1/apps/{app}/pg/psql': operation({
      tags: ['postgres'],
      summary: "psql in a postgres add-on's container, attached to this connection (plat pg:psql)",
      query: PsqlQuerySchema,
      errorRef,
      statuses: [401, 403, 404, 409, 422, 429],
    }),
  };
  return openapiObject;
}
