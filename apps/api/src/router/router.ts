import type { ChallengeStore } from '../certs/acme-order.js';

/**
 * What the controller and the services ask of the router: serve these
 * routes, and say beforehand whether a new hostname would be refused.
 * NginxRouter is the one platd runs; testing/fake-router.ts keeps routes in memory.
 */
export interface Router {
  /** Serves exactly these routes (every app's); resolves once they are live. */
  apply(routes: RouteTarget[]): Promise<void>;
  /**
   * Resolves once nothing from before the applies so far still serves
   * (nginx's old workers): only then may the dynos of routes that changed stop.
   */
  drained(): Promise<void>;
  /** Why the router would refuse `hostname` for `app` beside what it serves now; undefined if it would not. */
  refusalOf(app: string, hostname: string, ownHostname: string): Promise<string | undefined>;
  /**
   * The certificate for PLAT_API_DOMAIN, or none (HTTP only); served from the
   * next apply on, at once when routes were applied already.
   */
  serveApiCertificate(certificate: RouteCertificate | undefined): Promise<void>;
  /** The router process's id while it runs, for platd's status. */
  runningPid(): number | undefined;
  /**
   * When bytes last moved on the router's open connections to these dynos
   * (`host:port`): the eco sleep check's view of requests still open. A
   * router that cannot tell leaves it out.
   */
  dynoTraffic?(peers: string[]): Promise<Map<string, number>>;
  /** Where ACME HTTP-01 answers go: the router serves them on HTTP for every host. */
  readonly challenges: ChallengeStore;
}

/**
 * A web dyno as the router reaches it: at `host:port`, the host its address on
 * its app's network (Docker) or its swarm node's, 127.0.0.1 when unset.
 */
export interface RoutedDyno {
  name: string;
  port: number;
  host?: string;
}

/** One app's route: its hostnames to its ready web dynos. */
export interface RouteTarget {
  app: string;
  hostnames: string[];
  /** The app's ready web dynos, where the router reaches them; empty means no web dynos. */
  dynos: RoutedDyno[];
  maintenance: boolean;
  /**
   * An eco app asleep (no dynos): the router holds its requests and hands them
   * to platd's wake listener, which starts the web dynos and answers once they are ready.
   */
  asleep?: boolean;
  /**
   * Certificates to serve on the TLS port, each for the app hostnames it
   * covers; those hostnames get a 308 to HTTPS on the HTTP port. Hostnames
   * of no certificate are served on HTTP only.
   */
  certificates?: RouteCertificate[];
}

/** One certificate an app's route serves, and for which of its hostnames. */
export interface RouteCertificate {
  /** Of the route's hostnames, those this certificate serves. */
  hostnames: string[];
  /** Leaf first, then intermediates. */
  chainPem: string;
  keyPem: string;
}
