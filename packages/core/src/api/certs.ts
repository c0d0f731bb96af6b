import { Type } from '@sinclair/typebox';
import { AppNameParam, TimestampSchema } from './common.js';

/** HTTPS certificates of an app: own ones (`plat certs:add`) and automatic ones (ACME, `plat certs:auto:enable`). */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const CertificateSourceSchema = Type.Union([Type.Literal('manual'), Type.Literal('acme')]);

const certificateFields = {
  id: Type.String(),
  source: CertificateSourceSchema,
  /** The DNS names the certificate is for (for an automatic one still pending, the hostname it is ordered for). */
  hostnames: Type.Array(Type.String()),
  fingerprint: Nullable(Type.String({ description: 'SHA-256 of the leaf certificate, colon-separated hex' })),
  issuer: Nullable(Type.String()),
  not_before: Nullable(TimestampSchema),
  not_after: Nullable(TimestampSchema),
  state: Type.String({ description: 'ok, pending, failing: <reason>, expired or not yet valid' }),
  created_at: TimestampSchema,
};

export const CertificateSchema = Type.Object(certificateFields);

export const CertificateAddedSchema = Type.Object({
  ...certificateFields,
  covers: Type.Array(Type.String(), { description: "The app's hostnames it covers" }),
  replaced: Type.Array(Type.String(), { description: 'Ids of own certificates this one replaced' }),
});

export const CertificateHostnameSchema = Type.Object({
  hostname: Type.String(),
  /** What serves it over HTTPS now; null while nothing does (HTTP only). */
  source: Nullable(CertificateSourceSchema),
  certificate_id: Nullable(Type.String()),
  expires_at: Nullable(TimestampSchema),
  state: Type.String({
    description: 'ok, pending, failing: <reason>, expired, not yet valid, or none (no certificate: HTTP only)',
  }),
});

export const CertsSchema = Type.Object({
  /** Whether Plat gets and renews certificates for the app's hostnames itself (ACME). */
  acm: Type.Boolean(),
  /** The router's HTTPS port. */
  tls_port: Type.Integer(),
  hostnames: Type.Array(CertificateHostnameSchema),
  certificates: Type.Array(CertificateSchema),
});

/** PEM text; 64 KiB holds a chain of several certificates with RSA 4096 keys many times over. */
export const CertificateCreateSchema = Type.Object(
  {
    certificate_chain: Type.String({
      minLength: 1,
      maxLength: 65_536,
      description: 'PEM: the server certificate first, then its intermediates',
    }),
    private_key: Type.String({ minLength: 1, maxLength: 65_536, description: 'PEM, unencrypted' }),
  },
  { additionalProperties: false },
);

export const CertificateParamsSchema = Type.Object({
  app: AppNameParam,
  id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' }),
});
