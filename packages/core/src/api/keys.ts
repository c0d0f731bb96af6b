import { Type } from '@sinclair/typebox';
import { TimestampSchema } from './common.js';

/** Your SSH public keys, for git over SSH, and where platd's sshd answers. */

export const SshKeySchema = Type.Object({
  id: Type.String(),
  type: Type.String({ description: 'ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ...' }),
  fingerprint: Type.String({ description: 'SHA256:..., as ssh-keygen -l prints it' }),
  comment: Type.String(),
  created_at: TimestampSchema,
  last_used_at: Type.Union([TimestampSchema, Type.Null()]),
});
export const SshKeyCreateSchema = Type.Object(
  {
    public_key: Type.String({
      minLength: 1,
      maxLength: 16384,
      description: 'One OpenSSH public key line, as in ~/.ssh/id_ed25519.pub: type, base64, optional comment',
    }),
  },
  { additionalProperties: false },
);
export const SshKeyParamsSchema = Type.Object({ id: Type.String({ maxLength: 64 }) });

export const SshEndpointSchema = Type.Object({
  enabled: Type.Boolean({ description: 'platd runs an sshd for git (PLAT_SSH_PORT is not 0)' }),
  running: Type.Boolean({ description: 'sshd answers now' }),
  user: Type.String(),
  host: Type.String({ description: 'The host name the API was reached by' }),
  port: Type.Integer(),
  problem: Type.Optional(Type.String({ description: 'Why git over SSH does not work now' })),
  host_keys: Type.Array(Type.Object({ type: Type.String(), fingerprint: Type.String(), public_key: Type.String() }), {
    description: "sshd's host keys: compare with what ssh shows at the first connection",
  }),
});
