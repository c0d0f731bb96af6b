export * from './errors.js';
export * from './app-name.js';
export * from './procfile.js';
export * from './model.js';
export * from './attach-frames.js';
export * from './addon-provider.js';
export * from './keyed-queue.js';
