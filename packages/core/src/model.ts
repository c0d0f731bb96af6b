/**
 * Types of the API's resources, shared by platd and its clients. Each is the
 * static type of a TypeBox schema in ./api, so the shapes that platd
 * validates, the OpenAPI document and these types cannot drift apart.
 */
import type { Static } from '@sinclair/typebox';
import type * as api from './api/index.js';

export type App = Static<typeof api.AppSchema>;
export type AppCreate = Static<typeof api.AppCreateSchema>;
export type AppUpdate = Static<typeof api.AppUpdateSchema>;
export type ConfigVars = Static<typeof api.ConfigVarsSchema>;
/** Values to set; null unsets a var. */
export type ConfigVarsPatch = Static<typeof api.ConfigVarsPatchSchema>;
export type Domain = Static<typeof api.DomainSchema>;
export type LogDrain = Static<typeof api.LogDrainSchema>;
export type Collaborator = Static<typeof api.CollaboratorSchema>;
export type AuditEvent = Static<typeof api.AuditEventSchema>;

export type Build = Static<typeof api.BuildSchema>;
export type BuildWithOutput = Static<typeof api.BuildWithOutputSchema>;
export type BuildStatus = Build['status'];
export type Release = Static<typeof api.ReleaseSchema>;
export type ReleaseStatus = Release['status'];
export type Rollback = Static<typeof api.RollbackSchema>;

export type FormationEntry = Static<typeof api.FormationEntrySchema>;
export type FormationUpdate = Static<typeof api.FormationUpdateSchema>;
export type FormationBatch = Static<typeof api.FormationBatchSchema>;
export type Dyno = Static<typeof api.DynoSchema>;
export type Metrics = Static<typeof api.MetricsSchema>;
export type MetricSeries = Static<typeof api.MetricSeriesSchema>;
export type MetricsQuery = Static<typeof api.MetricsQuerySchema>;
/** A one-off dyno started in the background (plat run:detached). */
export type DetachedRun = Static<typeof api.DetachedRunSchema>;
export type AttachQuery = Static<typeof api.AttachQuerySchema>;
export type PsqlQuery = Static<typeof api.PsqlQuerySchema>;
export type LogQuery = Static<typeof api.LogQuerySchema>;

/** An add-on provider on offer, with its plans (GET /v1/addon-services). */
export type AddonServiceInfo = Static<typeof api.AddonServiceInfoSchema>;
/** An add-on as the API shows it; config_var is '' for add-ons that set none. */
export type AddonInfo = Static<typeof api.AddonSchema>;
export type AddonCreate = Static<typeof api.AddonCreateSchema>;
/** A postgres add-on's plan, state, size, tables and connections. */
export type PgInfo = Static<typeof api.PgInfoSchema>;
export type PgBackup = Static<typeof api.PgBackupSchema>;
/** A backup's restore drill: pending, verified (tables and rows, or keys) or failed (reason). */
export type BackupVerification = Static<typeof api.BackupVerificationSchema>;
export type PgBackupSchedule = Static<typeof api.PgBackupScheduleSchema>;
export type Job = Static<typeof api.JobSchema>;
export type JobCreate = Static<typeof api.JobCreateSchema>;

export type Account = Static<typeof api.AccountSchema>;
export type Token = Static<typeof api.TokenSchema>;
/** A new token, with its secret: shown once. */
export type TokenCreated = Static<typeof api.TokenCreatedSchema>;
export type TokenCreate = Static<typeof api.TokenCreateSchema>;
/** A user as admins see them. */
export type User = Static<typeof api.UserSchema>;
export type UserCreated = Static<typeof api.UserCreatedSchema>;

export type SshKey = Static<typeof api.SshKeySchema>;
/** Where platd's sshd answers git over SSH, and its host keys. */
export type SshEndpoint = Static<typeof api.SshEndpointSchema>;

export type PlatformStatus = Static<typeof api.PlatformStatusSchema>;
export type DiskReport = Static<typeof api.DiskReportSchema>;
export type StateRestored = Static<typeof api.StateRestoredSchema>;
/** A Swarm node with this Plat's dynos on it (plat nodes, PLAT_RUNTIME=swarm). */
export type SwarmNode = Static<typeof api.NodeSchema>;
export type NodeJoinCommand = Static<typeof api.NodeJoinCommandSchema>;

/** An app's HTTPS certificates and what serves each of its hostnames (plat certs). */
export type Certs = Static<typeof api.CertsSchema>;
export type Certificate = Static<typeof api.CertificateSchema>;
export type CertificateAdded = Static<typeof api.CertificateAddedSchema>;
export type CertificateCreate = Static<typeof api.CertificateCreateSchema>;

/** Pipelines: apps in stages (plat pipelines), promotions between them, review apps. */
export type Stage = Static<typeof api.StageSchema>;
export type Pipeline = Static<typeof api.PipelineSchema>;
export type PipelineCreate = Static<typeof api.PipelineCreateSchema>;
export type AppPipeline = Static<typeof api.AppPipelineSchema>;
export type Promotion = Static<typeof api.PromotionSchema>;
export type PipelineDiff = Static<typeof api.PipelineDiffSchema>;
export type ReviewApp = Static<typeof api.ReviewAppSchema>;
export type ReviewAppCreate = Static<typeof api.ReviewAppCreateSchema>;

/** An app made from an app.json (plat apps:setup, apps:create --manifest), and labs features (plat labs). */
export type AppSetupCreate = Static<typeof api.AppSetupCreateSchema>;
export type AppSetup = Static<typeof api.AppSetupSchema>;
export type Feature = Static<typeof api.FeatureSchema>;

/** App webhooks (plat webhooks), their deliveries, and alerts (plat alerts). */
export type Webhook = Static<typeof api.WebhookSchema>;
/** A new webhook, with the secret Plat made for it (shown once). */
export type WebhookCreated = Static<typeof api.WebhookCreatedSchema>;
export type WebhookCreate = Static<typeof api.WebhookCreateSchema>;
export type WebhookUpdate = Static<typeof api.WebhookUpdateSchema>;
export type WebhookDelivery = Static<typeof api.WebhookDeliverySchema>;
export type Alert = Static<typeof api.AlertSchema>;

/** One line of a build's progress, as the git receiver streams it back to `git push`. */
export type BuildEvent =
  | { type: 'line'; text: string }
  | { type: 'result'; ok: true; release: number; url: string }
  | { type: 'result'; ok: false; message: string };
