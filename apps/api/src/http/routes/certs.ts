import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  AppParamsSchema,
  CertificateAddedSchema,
  CertificateCreateSchema,
  CertificateParamsSchema,
  CertsSchema,
} from '@plat/core';
import type { Platform } from '../../platform.js';
import {
  addCertificate,
  certsOverview,
  disableAutoCertificates,
  enableAutoCertificates,
  removeCertificate,
} from '../../services/certs.js';
import { errors } from '../error-responses.js';

export const certRoutes: FastifyPluginAsyncTypebox<{ platform: Platform }> = async (app, { platform }) => {
  app.get(
    '/v1/apps/:app/certs',
    {
      schema: {
        tags: ['certs'],
        summary: "The app's HTTPS certificates, and what serves each of its hostnames",
        params: AppParamsSchema,
        response: { 200: CertsSchema, ...errors(403, 404) },
      },
    },
    async (request) => certsOverview(platform, request.appRow),
  );
  app.post(
    '/v1/apps/:app/certs',
    {
      schema: {
        tags: ['certs'],
        summary: 'Serve an own certificate for the app hostnames it covers',
        params: AppParamsSchema,
        body: CertificateCreateSchema,
        response: { 201: CertificateAddedSchema, ...errors(403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const added = await addCertificate(platform, request.appRow, request.user!, {
        chainPem: request.body.certificate_chain,
        keyPem: request.body.private_key,
      });
      return reply.code(201).send(added);
    },
  );
  app.delete(
    '/v1/apps/:app/certs/:id',
    {
      schema: {
        tags: ['certs'],
        summary: 'Stop serving an own certificate',
        params: CertificateParamsSchema,
        response: { 204: Type.Null(), ...errors(403, 404) },
      },
    },
    async (request, reply) => {
      await removeCertificate(platform, request.appRow, request.user!, request.params.id);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/v1/apps/:app/acm',
    {
      schema: {
        tags: ['certs'],
        summary: "Get and renew certificates for the app's hostnames automatically (ACME, HTTP-01)",
        params: AppParamsSchema,
        response: { 200: CertsSchema, ...errors(403, 404) },
      },
    },
    async (request) => enableAutoCertificates(platform, request.appRow, request.user!),
  );
  app.delete(
    '/v1/apps/:app/acm',
    {
      schema: {
        tags: ['certs'],
        summary: 'Stop automatic certificates; the ones Plat got for the app go',
        params: AppParamsSchema,
        response: { 200: CertsSchema, ...errors(403, 404) },
      },
    },
    async (request) => disableAutoCertificates(platform, request.appRow, request.user!),
  );
};
