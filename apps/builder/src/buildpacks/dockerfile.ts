import type { Buildpack } from './buildpack.js';

/**
 * An app that brings its own Dockerfile is built as is. Its image's CMD is
 * the web process unless a Procfile says otherwise; PORT is set at run time.
 */
export const dockerfile: Buildpack = {
  name: 'dockerfile',
  label: 'Dockerfile',
  detect: (source) => source.has('Dockerfile'),
  plan: (source) => ({
    dockerfile: source.read('Dockerfile') ?? '',
    processTypes: { web: '' },
    notes: ['Building the Dockerfile as is; its CMD must listen on $PORT'],
  }),
};
