import { PlatError } from './errors.js';

/** Heroku-compatible app names; also safe as a DNS label and a Docker name part. */
export const APP_NAME_PATTERN = /^[a-z][a-z0-9-]{1,29}$/;

export function checkAppName(name: unknown): string {
  if (typeof name !== 'string' || !APP_NAME_PATTERN.test(name)) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : String(name);
    throw new PlatError(
      'invalid_params',
      `Invalid app name ${shown}: use 2 to 30 lowercase letters, digits and dashes, starting with a letter.`,
    );
  }
  return name;
}
