import type {
  AppPipeline,
  Pipeline,
  PipelineCreate,
  PipelineDiff,
  Promotion,
  ReviewApp,
  ReviewAppCreate,
  Stage,
} from '@plat/core';
import { appPath, type Transport } from './transport.js';

const pipelinePath = (pipeline: string, rest = '') => `/v1/pipelines/${encodeURIComponent(pipeline)}${rest}`;

/** Pipelines: apps in stages; promotions send one app's current image down to the next stage's apps. */
export function pipelinesResource(http: Transport) {
  return {
    list: (): Promise<Pipeline[]> => http.request('GET', '/v1/pipelines'),
    get: (pipeline: string): Promise<Pipeline> => http.request('GET', pipelinePath(pipeline)),
    create: (body: PipelineCreate): Promise<Pipeline> => http.request('POST', '/v1/pipelines', body),
    addApp: (pipeline: string, app: string, stage: Stage): Promise<Pipeline> =>
      http.request('POST', pipelinePath(pipeline, '/apps'), { app, stage }),
    removeApp: (pipeline: string, app: string): Promise<void> =>
      http.request('DELETE', pipelinePath(pipeline, `/apps/${encodeURIComponent(app)}`)),
    /** The pipeline the app is in, and its stage there. */
    of: (app: string): Promise<AppPipeline> => http.request('GET', appPath(app, '/pipeline')),
    /** to: downstream apps to release to (default: every app of the next stage). */
    promote: (app: string, to?: string[]): Promise<Promotion> =>
      http.request('POST', appPath(app, '/pipeline/promotions'), to?.length ? { to } : {}),
    diff: (app: string): Promise<PipelineDiff> => http.request('GET', appPath(app, '/pipeline/diff')),
  };
}

/** Review apps: temporary apps built from a branch of the pipeline's staging app. */
export function reviewAppsResource(http: Transport) {
  return {
    list: (pipeline: string): Promise<ReviewApp[]> => http.request('GET', pipelinePath(pipeline, '/review-apps')),
    create: (pipeline: string, body: ReviewAppCreate): Promise<ReviewApp> =>
      http.request('POST', pipelinePath(pipeline, '/review-apps'), body),
    destroy: (pipeline: string, app: string): Promise<void> =>
      http.request('DELETE', pipelinePath(pipeline, `/review-apps/${encodeURIComponent(app)}`)),
  };
}
