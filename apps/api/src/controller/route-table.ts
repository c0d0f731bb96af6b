import type { Router, RouteTarget } from '../router/router.js';
import { sameRoute } from './rollout-plan.js';

/**
 * Every app's route as the controller last decided it, and whether the
 * router serves them: an unchanged route costs no apply, and an apply that
 * failed (or is under way) makes the next one apply everything.
 */
export class RouteTable {
  readonly #router: Pick<Router, 'apply'>;
  readonly #routes = new Map<string, RouteTarget>();
  /** Whether the router serves the routes as they are: false while an apply is under way or after one failed. */
  #current = false;
  #applies = 0;

  constructor(router: Pick<Router, 'apply'>) {
    this.#router = router;
  }

  get(app: string): RouteTarget | undefined {
    return this.#routes.get(app);
  }

  has(app: string): boolean {
    return this.#routes.has(app);
  }

  /** Records a route without applying it (a platd start routes every app in one apply). */
  set(app: string, route: RouteTarget): void {
    this.#routes.set(app, route);
  }

  /** The app's new route, applied when it differs from the last one or the router may not serve them. */
  async put(app: string, route: RouteTarget): Promise<void> {
    const changed = !sameRoute(this.#routes.get(app), route);
    this.#routes.set(app, route);
    await this.publish(changed);
  }

  /** The app is no longer routed (destroyed, renamed). */
  async remove(app: string): Promise<void> {
    await this.publish(this.#routes.delete(app));
  }

  /** Applies every route when one changed or the router may not serve them; an unchanged route costs nothing. */
  async publish(changed: boolean): Promise<void> {
    if (!changed && this.#current) return;
    const apply = ++this.#applies;
    this.#current = false;
    await this.#router.apply([...this.#routes.values()]);
    // A later apply under way may still fail: only the last one says the router is current.
    if (apply === this.#applies) this.#current = true;
  }
}
