import { PlatError } from '@plat/core';
import type { CommandContext } from '../context.js';
import { removeCredentials, saveCredentials } from '../credentials.js';
import { forgetGitCredentials, keepGitCredential } from '../git-credentials.js';

export async function login(options: { apiUrl?: string; token?: string }, context: CommandContext): Promise<void> {
  const apiUrl = options.apiUrl ?? context.env.PLAT_API_URL;
  const token = options.token ?? context.env.PLAT_TOKEN;
  if (!apiUrl)
    throw new PlatError('invalid_params', 'Missing API URL: plat login --api-url http://HOST:PORT --token TOKEN');
  if (!token)
    throw new PlatError(
      'invalid_params',
      `Missing token: plat login --api-url ${apiUrl} --token TOKEN (platd printed it at start)`,
    );
  try {
    new URL(apiUrl);
  } catch {
    throw new PlatError('invalid_params', `Not a URL: ${apiUrl}`);
  }
  const account = await context.client({ apiUrl, token }).account.get();
  const credentials = { apiUrl: apiUrl.replace(/\/+$/, ''), token };
  const path = saveCredentials(credentials, context.env);
  await keepGitCredential(credentials, context.env);
  context.output.out(`Logged in as ${account.user} at ${apiUrl} (credentials in ${path})`);
}

export async function logout(_options: object, context: CommandContext): Promise<void> {
  removeCredentials(context.env);
  await forgetGitCredentials(context.env);
  context.output.out('Logged out');
}

export async function whoami(_options: object, context: CommandContext): Promise<void> {
  const account = await context.client().account.get();
  context.output.out(account.user);
}
