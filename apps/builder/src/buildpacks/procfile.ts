import type { Buildpack } from './buildpack.js';

/** Apps that are only a Procfile of shell commands run on the stack as they are. */
export const procfileOnly: Buildpack = {
  name: 'procfile',
  label: 'Procfile',
  detect: (source) => source.has('Procfile'),
  plan: (_source, context) => ({
    // USER before the code, so that it is a cached step: after it, it would cost a container and a commit per push.
    dockerfile: [`FROM ${context.stackImage}`, 'WORKDIR /app', 'USER dyno', 'COPY --chown=dyno:dyno . /app', ''].join(
      '\n',
    ),
    processTypes: {},
    notes: ['Running the Procfile commands on the stack'],
    generated: true,
  }),
};
