import type { ProcessTypes } from '@plat/core';
import type { Source } from '../source.js';
import type { NodeReleases } from './node-version.js';

/** Where the generated Dockerfile finds things the builder adds to the context. */
export interface PlanContext {
  /** The stack image to build on, e.g. `plat/stack:latest`. */
  stackImage: string;
  /** Context-relative path of the host's CA bundle, for installs behind TLS-intercepting proxies. */
  caBundle: string;
  /** Context-relative folder where `files` of the plan are written. */
  buildDir: string;
  /** The registry's Node.js releases, when the Node.js buildpack's lookup asked for them. */
  nodeReleases?: NodeReleases;
}

export interface BuildPlan {
  /** Contents of the Dockerfile to build with the source tree as context. */
  dockerfile: string;
  /**
   * Process types the buildpack infers; a Procfile's entries override them.
   * An empty command means the image's own CMD (Dockerfile apps).
   */
  processTypes: ProcessTypes;
  /** Extra files the Dockerfile copies, by name under the build's own folder (e.g. a server config). */
  files?: Record<string, string>;
  /** Lines for the build output (what was detected, what will run). */
  notes: string[];
  /**
   * Plat wrote the Dockerfile: one stage and no LABEL of the app's, so the
   * labels put after its FROM reach the image, and the build needs no label
   * step of its own at the end (Docker runs one as a container, ~50 ms).
   */
  generated?: boolean;
}

export interface Buildpack {
  /** Stable id, as `plat buildpacks:set` names it. */
  readonly name: string;
  /** Human name for the build output: `-----> Python app detected`. */
  readonly label: string;
  detect(source: Source): boolean;
  /** Fetches what the plan needs from outside the tree (e.g. a registry's releases), so plan itself stays pure. */
  lookup?(source: Source): Promise<Partial<PlanContext>>;
  plan(source: Source, context: PlanContext): BuildPlan;
}
