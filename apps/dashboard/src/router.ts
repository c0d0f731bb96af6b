/** Paths in the address bar without a library: `/`, `/apps/NAME` and `/apps/NAME/TAB`. */
import { useEffect, useState } from 'preact/hooks';

export const TABS = ['overview', 'activity', 'metrics', 'logs', 'settings', 'addons'] as const;
export type Tab = (typeof TABS)[number];

export type Route = { page: 'apps' } | { page: 'app'; app: string; tab: Tab };

/** The route of a path; anything unknown is the apps list. */
export function parseRoute(pathname: string): Route {
  const match = /^\/apps\/([a-z][a-z0-9-]{1,29})(?:\/([a-z]+))?\/?$/.exec(pathname);
  if (!match) return { page: 'apps' };
  const tab = (TABS as readonly string[]).includes(match[2] ?? '') ? (match[2] as Tab) : 'overview';
  return { page: 'app', app: match[1]!, tab };
}

export function routePath(route: Route): string {
  if (route.page === 'apps') return '/';
  return route.tab === 'overview' ? `/apps/${route.app}` : `/apps/${route.app}/${route.tab}`;
}

export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, '', path);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return route;
}

/** A click that the page should handle itself (not a new tab or window). */
export function plainClick(event: MouseEvent): boolean {
  return event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey;
}
