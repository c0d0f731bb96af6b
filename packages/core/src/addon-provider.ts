/**
 * What an add-on provider is: data about a backing service (its image, how
 * to run it, the config var it gives the app), never Docker calls. platd's
 * runtime runs the container; providers stay pure and testable.
 */
import { STACK_IMAGE } from './docker-names.js';

export interface AddonPlan {
  name: string;
  description: string;
  /** Whether its data lives on a named volume that survives restarts. */
  persistent: boolean;
  memoryMb: number;
}

export interface AddonService {
  /** Built locally on the stack when missing: no registry is assumed. */
  image: { name: string; dockerfile: string; files?: Record<string, string> };
  env: Record<string, string>;
  /** Where the volume mounts, when the plan is persistent. */
  dataPath?: string;
  port: number;
  /** Run inside the container by Docker's health check; exit 0 means ready. */
  healthcheck: string[];
}

export interface AddonProvider {
  /** `postgres`, `redis`: what `plat addons:create` names. */
  name: string;
  description: string;
  /** Config var prefix when attached without --as: DATABASE gives DATABASE_URL. */
  defaultAttachment: string;
  plans: AddonPlan[];
  defaultPlan: string;
  /** Fresh secrets for a new add-on, from a source of random text. */
  credentials(random: () => string): Record<string, string>;
  /** The backing service to run; none for add-ons that are platform features (the scheduler). */
  service?(plan: AddonPlan, credentials: Record<string, string>): AddonService;
  /** The config var's value, reaching the add-on at `host` on the app's network; none sets no var. */
  url?(host: string, credentials: Record<string, string>): string;
}

/**
 * The image recipe of a service built from Debian's packages on the stack:
 * packages installed as root, a data folder owned by the service's user
 * (a new volume copies that ownership), an entrypoint script, and the
 * service's own user to run as.
 */
export function stackServiceImage(recipe: {
  name: string;
  packages: string[];
  user: string;
  dataPath: string;
  entrypoint: string;
}): AddonService['image'] {
  const script = `${recipe.name.split('/').pop()}-entrypoint`;
  return {
    name: recipe.name,
    dockerfile: [
      `FROM ${STACK_IMAGE}`,
      'USER root',
      'RUN apt-get update \\',
      ` && apt-get install -y --no-install-recommends ${recipe.packages.join(' ')} \\`,
      ' && rm -rf /var/lib/apt/lists/* \\',
      ` && mkdir -p ${recipe.dataPath} && chown ${recipe.user}:${recipe.user} ${recipe.dataPath}`,
      `COPY ${script} /usr/local/bin/${script}`,
      `RUN chmod 0755 /usr/local/bin/${script}`,
      `USER ${recipe.user}`,
      `CMD ["/usr/local/bin/${script}"]`,
      '',
    ].join('\n'),
    files: { [script]: recipe.entrypoint },
  };
}
