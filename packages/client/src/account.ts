import type { Account, Token, TokenCreated, User, UserCreated } from '@plat/core';
import type { Transport } from './transport.js';

/** Who the token belongs to. */
export function accountResource(http: Transport) {
  return {
    get: (): Promise<Account> => http.request('GET', '/v1/account'),
  };
}

/** Your API tokens (their secrets only when created); admins may revoke anyone's. */
export function tokensResource(http: Transport) {
  return {
    list: (): Promise<Token[]> => http.request('GET', '/v1/account/tokens'),
    /** expiresIn: seconds until the token stops working. */
    create: (options: { description?: string; expiresIn?: number } = {}): Promise<TokenCreated> =>
      http.request('POST', '/v1/account/tokens', {
        ...(options.description === undefined ? {} : { description: options.description }),
        ...(options.expiresIn === undefined ? {} : { expires_in: options.expiresIn }),
      }),
    revoke: (id: string): Promise<void> => http.request('DELETE', `/v1/account/tokens/${encodeURIComponent(id)}`),
  };
}

const userPath = (email: string, rest = '') => `/v1/users/${encodeURIComponent(email)}${rest}`;

/** Users, for admins only. */
export function usersResource(http: Transport) {
  return {
    list: (): Promise<User[]> => http.request('GET', '/v1/users'),
    /** Resolves with the user's first token, shown once. */
    create: (email: string, options: { admin?: boolean } = {}): Promise<UserCreated> =>
      http.request('POST', '/v1/users', { email, ...(options.admin ? { admin: true } : {}) }),
    setDisabled: (email: string, disabled: boolean): Promise<User> =>
      http.request('PATCH', userPath(email), { disabled }),
    tokens: (email: string): Promise<Token[]> => http.request('GET', userPath(email, '/tokens')),
  };
}
