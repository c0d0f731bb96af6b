import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'purple',
  'quiet',
  'brave',
  'calm',
  'eager',
  'fancy',
  'gentle',
  'happy',
  'jolly',
  'lively',
  'misty',
  'nimble',
  'polished',
  'rapid',
  'shiny',
  'sunny',
  'tidy',
  'vast',
  'warm',
  'young',
];
const NOUNS = [
  'river',
  'forest',
  'meadow',
  'harbor',
  'canyon',
  'glacier',
  'island',
  'lagoon',
  'mesa',
  'orchard',
  'prairie',
  'ridge',
  'summit',
  'tundra',
  'valley',
  'willow',
  'breeze',
  'comet',
  'dune',
  'ember',
];

/** A Heroku-style name like `purple-river-4821` for apps created without one. */
export function generateAppName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000, 10000)}`;
}
