/**
 * A Router in memory, for controller and service tests without nginx: it
 * keeps the routes last applied and every apply before them, and writes
 * each app's routed dynos to `journal` (shared with a FakeRuntime, it shows
 * the order of a rollout).
 */
import type { ChallengeStore } from '../certs/acme-order.js';
import type { RouteCertificate, Router, RouteTarget } from '../router/router.js';

export class FakeRouter implements Router {
  readonly journal: string[];
  /** Every apply, oldest first. */
  readonly history: RouteTarget[][] = [];
  /** Hostnames the router would refuse, with why (nginx's complaint). */
  readonly refusals = new Map<string, string>();
  /** The router's pid, undefined as if it were not running. */
  pid: number | undefined = 4242;
  /** ACME challenge answers by token. */
  readonly tokens = new Map<string, string>();
  readonly challenges: ChallengeStore = {
    set: (token, keyAuthorization) => void this.tokens.set(token, keyAuthorization),
    remove: (token) => void this.tokens.delete(token),
  };
  readonly #nameOf: (port: number) => string | undefined;
  /** The API domain's certificate, as last given. */
  apiCertificate: RouteCertificate | undefined;

  /** `nameOf` names the dyno behind a port in the journal (FakeRuntime.dynoAt), e.g. `web.1@v2`. */
  constructor(options: { journal?: string[]; nameOf?: (port: number) => string | undefined } = {}) {
    this.journal = options.journal ?? [];
    this.#nameOf = options.nameOf ?? ((port) => `:${port}`);
  }

  async apply(routes: RouteTarget[]): Promise<void> {
    const previous = this.routes;
    this.history.push(structuredClone(routes));
    for (const route of routes) {
      const before = previous.find((other) => other.app === route.app);
      if (JSON.stringify(before) === JSON.stringify(route)) continue;
      this.journal.push(`route ${route.app}: ${this.#describe(route)}`);
    }
    for (const gone of previous.filter((route) => !routes.some((other) => other.app === route.app))) {
      this.journal.push(`unroute ${gone.app}`);
    }
  }

  async refusalOf(_app: string, hostname: string): Promise<string | undefined> {
    return this.refusals.get(hostname);
  }

  async drained(): Promise<void> {}

  async serveApiCertificate(certificate: RouteCertificate | undefined): Promise<void> {
    this.apiCertificate = certificate;
  }

  runningPid(): number | undefined {
    return this.pid;
  }

  /** The routes last applied. */
  get routes(): RouteTarget[] {
    return this.history.at(-1) ?? [];
  }

  routeOf(app: string): RouteTarget | undefined {
    return this.routes.find((route) => route.app === app);
  }

  /** The dynos the app's route sends requests to, named by `nameOf`, sorted. */
  backends(app: string): string[] {
    return this.#names(this.routeOf(app)?.dynos ?? []);
  }

  #names(dynos: RouteTarget['dynos']): string[] {
    return dynos.map((dyno) => this.#nameOf(dyno.port) ?? `${dyno.name}:${dyno.port}`).sort();
  }

  #describe(route: RouteTarget): string {
    const dynos = this.#names(route.dynos);
    return `${dynos.join(' ') || '(no web dynos)'}${route.maintenance ? ' (maintenance)' : ''}`;
  }
}
