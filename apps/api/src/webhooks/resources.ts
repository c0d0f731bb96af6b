/**
 * The `data` of each kind of webhook event, from platd's rows: close to
 * what Heroku's Platform API shows for the same resource, so a receiver
 * written for Heroku finds the fields it reads (id, version, status, app).
 */
import type { AddonRow } from '../store/addons.js';
import type { BuildRow } from '../store/builds.js';
import type { ReleaseRow } from '../store/releases.js';
import type { WebhookActor } from './event-body.js';
import type { WebhookAction } from './entities.js';
import type { WebhookEmit } from './webhooks.js';

interface AppRef {
  id: string;
  name: string;
}

interface UserRef {
  id: string;
  email: string;
}

const actorOf = (user: UserRef | undefined): { actor?: WebhookActor } =>
  user ? { actor: { id: user.id, email: user.email } } : {};

export function releaseEvent(app: AppRef, release: ReleaseRow, action: WebhookAction, user?: UserRef): WebhookEmit {
  return {
    app,
    include: 'api:release',
    action,
    ...actorOf(user),
    data: {
      id: release.id,
      app: { id: app.id, name: app.name },
      version: release.version,
      description: release.description,
      status: release.status,
      current: release.status === 'succeeded',
      image: release.image,
      build: release.build_id ? { id: release.build_id } : null,
      process_types: Object.keys(release.process_types),
      created_at: release.created_at.toISOString(),
      ...(user ? { user: { id: user.id, email: user.email } } : {}),
    },
  };
}

export function buildEvent(app: AppRef, build: BuildRow, action: WebhookAction): WebhookEmit {
  return {
    app,
    include: 'api:build',
    action,
    data: {
      id: build.id,
      app: { id: app.id, name: app.name },
      status: build.status,
      source_blob: { version: build.source_commit },
      buildpacks: build.buildpack ? [{ name: build.buildpack }] : [],
      created_at: build.created_at.toISOString(),
      updated_at: build.updated_at.toISOString(),
    },
  };
}

export function addonEvent(app: AppRef, addon: AddonRow, action: WebhookAction, user?: UserRef): WebhookEmit {
  return {
    app,
    include: 'api:addon',
    action,
    ...actorOf(user),
    data: {
      id: addon.id,
      name: addon.name,
      app: { id: app.id, name: app.name },
      addon_service: { name: addon.provider },
      plan: { name: `${addon.provider}:${addon.plan}` },
      state: action === 'destroy' ? 'deprovisioned' : addon.state,
      config_vars: addon.attachment ? [`${addon.attachment}_URL`] : [],
      created_at: addon.created_at.toISOString(),
    },
  };
}

export function formationEvent(
  app: AppRef,
  entries: { type: string; quantity: number; size: string }[],
  user?: UserRef,
): WebhookEmit[] {
  return entries.map((entry) => ({
    app,
    include: 'api:formation' as const,
    action: 'update' as const,
    ...actorOf(user),
    data: { app: { id: app.id, name: app.name }, type: entry.type, quantity: entry.quantity, size: entry.size },
  }));
}

export function dynoEvent(
  app: AppRef,
  change: { dyno: string; releaseId: string; state: 'starting' | 'crashed' | 'sleeping'; exitCode?: number },
): WebhookEmit {
  return {
    app,
    include: 'dyno',
    action: change.state === 'starting' ? 'create' : 'update',
    data: {
      app: { id: app.id, name: app.name },
      name: change.dyno,
      type: change.dyno.split('.')[0],
      state: change.state,
      release: { id: change.releaseId },
      ...(change.exitCode !== undefined ? { exit_code: change.exitCode } : {}),
    },
  };
}
