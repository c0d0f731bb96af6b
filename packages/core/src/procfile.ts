import { PlatError } from './errors.js';

/** Process type names as Heroku accepts them. */
const PROCESS_TYPE = /^[A-Za-z0-9_-]+$/;

export type ProcessTypes = Record<string, string>;

/**
 * Parses a Procfile (`type: command` per line). Blank lines and `#` comments
 * are ignored; anything else that is not a valid entry fails with its line
 * number, so a push is rejected with a message the user can act on.
 */
export function parseProcfile(text: string): ProcessTypes {
  const types: ProcessTypes = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `Procfile line ${index + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new PlatError('invalid_params', `${where}: expected "type: command", got ${JSON.stringify(line)}`);
    const type = line.slice(0, colon).trim();
    const command = line.slice(colon + 1).trim();
    if (!PROCESS_TYPE.test(type)) {
      throw new PlatError(
        'invalid_params',
        `${where}: invalid process type ${JSON.stringify(type)} (letters, digits, _ and - only)`,
      );
    }
    if (command === '') throw new PlatError('invalid_params', `${where}: process type "${type}" has no command`);
    if (Object.hasOwn(types, type))
      throw new PlatError('invalid_params', `${where}: process type "${type}" is defined twice`);
    types[type] = command;
  });
  return types;
}
