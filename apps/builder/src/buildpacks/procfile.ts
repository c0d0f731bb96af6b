import type { Buildpack } from './buildpack.js';

/** Apps that are only a Procfile of shell commands run on the stack as they are. */
export const procfileOnly: Buildpack = {
  name: 'procfile',
  label: 'Procfile',
  detect: (source) => source.has('Procfile'),
  plan: (_source, context) => ({
    dockerfile: [`FROM ${context.stackImage}`, 'WORKDIR /app', 'COPY --chown=dyno:dyno . /app', 'USER dyno', ''].join(
      '\n',
    ),
    processTypes: {},
    notes: ['Running the Procfile commands on the stack'],
  }),
};
