/** Shapes of the API's resources, shared by platd and its clients. */

export interface App {
  id: string;
  name: string;
  owner: string;
  stack: string;
  /** The buildpack chosen for the app, or null to detect one on each build. */
  buildpack: string | null;
  maintenance: boolean;
  web_url: string;
  git_url: string;
  created_at: string;
  updated_at: string;
}

export type BuildStatus = 'pending' | 'succeeded' | 'failed';

export interface Build {
  id: string;
  app: string;
  status: BuildStatus;
  source_commit: string;
  buildpack: string | null;
  image: string | null;
  created_at: string;
  updated_at: string;
}

export type ReleaseStatus = 'pending' | 'succeeded' | 'failed';

export interface Release {
  id: string;
  app: string;
  version: number;
  description: string;
  status: ReleaseStatus;
  image: string | null;
  process_types: Record<string, string>;
  current: boolean;
  created_at: string;
}

/** One line of a build's progress, as the git receiver streams it back to `git push`. */
export type BuildEvent =
  | { type: 'line'; text: string }
  | { type: 'result'; ok: true; release: number; url: string }
  | { type: 'result'; ok: false; message: string };

/** An add-on as the API shows it. */
export interface AddonInfo {
  name: string;
  provider: string;
  plan: string;
  /** The config var it sets (DATABASE_URL), or '' for add-ons that set none. */
  config_var: string;
  /** available, starting, stopped or missing */
  state: string;
  created_at: string;
}
