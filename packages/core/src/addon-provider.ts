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
  /** A second var, ATTACHMENT_TLS_URL (Heroku's REDIS_TLS_URL): the same service over TLS on its own port. */
  tlsUrl?(host: string, credentials: Record<string, string>): string;
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

/** The names of the config vars an add-on attached as `attachment` sets (addonConfigVars). */
export function addonConfigVarNames(provider: AddonProvider, attachment: string): string[] {
  if (!provider.url) return [];
  return [`${attachment}_URL`, ...(provider.tlsUrl ? [`${attachment}_TLS_URL`] : [])];
}

/**
 * The config vars an attached add-on sets: ATTACHMENT_URL, and
 * ATTACHMENT_TLS_URL beside it when the provider serves TLS on its own port.
 */
export function addonConfigVars(
  provider: AddonProvider,
  attachment: string,
  host: string,
  credentials: Record<string, string>,
): Record<string, string> {
  if (!provider.url) return {};
  return {
    [`${attachment}_URL`]: provider.url(host, credentials),
    ...(provider.tlsUrl ? { [`${attachment}_TLS_URL`]: provider.tlsUrl(host, credentials) } : {}),
  };
}

/** Where an add-on's entrypoint keeps its certificate and key (server.crt, server.key). */
export interface AddonTlsFiles {
  dir: string;
  cert: string;
  key: string;
}

export function addonTlsFiles(dataPath: string): AddonTlsFiles {
  const dir = `${dataPath}/tls`;
  return { dir, cert: `${dir}/server.crt`, key: `${dir}/server.key` };
}

/** Made again at a start that finds the certificate this close to its end. */
const RENEW_WITHIN_SECONDS = 30 * 24 * 3600;

/**
 * Entrypoint lines that give an add-on its TLS certificate: self-signed,
 * for the container's hostname (the add-on's name, which apps dial), kept on
 * its data folder. Made at the first start, and at any start that finds it
 * missing or near its end, so an add-on provisioned before TLS gets one too.
 * The key is made inside the container by the service's own user, 0600,
 * never in an image, an environment or a log. New files are moved into place
 * key first: a start cut short between the two moves leaves the new
 * certificate behind, and the next start makes a fresh pair.
 */
export function selfSignedCertScript(files: AddonTlsFiles): string {
  const { dir, cert, key } = files;
  return [
    `mkdir -p ${dir}`,
    `if [ ! -s ${key} ] || [ -e ${cert}.new ] || \\`,
    `  ! openssl x509 -in ${cert} -noout -checkend ${RENEW_WITHIN_SECONDS} >/dev/null 2>&1; then`,
    '  host=$(uname -n)',
    `  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${key}.new)`,
    `  openssl req -x509 -new -key ${key}.new -days 3650 -subj "/CN=$host" \\`,
    '    -addext "subjectAltName=DNS:$host" -addext keyUsage=critical,digitalSignature,keyCertSign \\',
    `    -addext extendedKeyUsage=serverAuth -out ${cert}.new`,
    `  mv ${key}.new ${key}`,
    `  mv ${cert}.new ${cert}`,
    'fi',
    '',
  ].join('\n');
}
