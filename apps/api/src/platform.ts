import type { ImageBuilder } from '@plat/builder';
import type { Settings } from './config.js';
import type { Controller } from './controller/controller.js';
import type { DockerRuntime } from './controller/docker-runtime.js';
import type { LogHub } from './logs/log-hub.js';
import type { KeyedQueue } from '@plat/core';
import type { Sql } from './store/database.js';

/** What services need from the running platd; built once in main.ts. */
export interface Platform {
  sql: Sql;
  settings: Settings;
  controller: Controller;
  /** For add-on containers; dynos go through the controller. */
  runtime: DockerRuntime;
  logs: LogHub;
  images: ImageBuilder;
  /** One build of an app at a time: concurrent pushes queue. */
  builds: KeyedQueue;
  /** One release of an app at a time, so versions and rollouts keep one order. */
  releases: KeyedQueue;
  reposDir: string;
  /** Shared with the git hook through its environment, per platd process. */
  hookSecret: string;
  log: (line: string) => void;
}
