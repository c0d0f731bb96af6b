import type { SshEndpoint, SshKey } from '@plat/core';
import type { Transport } from './transport.js';

/** Your SSH public keys, for git over SSH. */
export function keysResource(http: Transport) {
  return {
    list: (): Promise<SshKey[]> => http.request('GET', '/v1/account/keys'),
    /** publicKey: one line as in ~/.ssh/id_ed25519.pub. */
    add: (publicKey: string): Promise<SshKey> => http.request('POST', '/v1/account/keys', { public_key: publicKey }),
    remove: (id: string): Promise<void> => http.request('DELETE', `/v1/account/keys/${encodeURIComponent(id)}`),
  };
}

/** Where platd's sshd answers git over SSH, and its host keys. */
export function sshResource(http: Transport) {
  return (): Promise<SshEndpoint> => http.request('GET', '/v1/ssh');
}

/** The git remote URL of an app over SSH: ssh://git@host:port/app.git (no port when it is 22). */
export function sshGitUrl(endpoint: Pick<SshEndpoint, 'user' | 'host' | 'port'>, app: string): string {
  const host = endpoint.host.includes(':') && !endpoint.host.startsWith('[') ? `[${endpoint.host}]` : endpoint.host;
  return `ssh://${endpoint.user}@${host}${endpoint.port === 22 ? '' : `:${endpoint.port}`}/${app}.git`;
}
