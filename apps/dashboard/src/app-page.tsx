/** One app: a heading and the six tabs (Overview, Activity, Metrics, Logs, Settings, Add-ons), kept live by SSE. */
import { useRef } from 'preact/hooks';
import { Activity } from './activity.js';
import { Addons } from './addons.js';
import { ErrorText, Loading } from './common.js';
import { useLoad } from './hooks.js';
import { TicksContext, useAppEvents } from './live.js';
import { Logs } from './logs.js';
import { MetricsView } from './metrics.js';
import { Overview } from './overview.js';
import { navigate, routePath, TABS, type Tab } from './router.js';
import { useSession } from './session.js';
import { Settings } from './settings.js';

const LABELS: Record<Tab, string> = {
  overview: 'Overview',
  activity: 'Activity',
  metrics: 'Metrics',
  logs: 'Logs',
  settings: 'Settings',
  addons: 'Add-ons',
};

export function AppPage({ app, tab }: { app: string; tab: Tab }) {
  const session = useSession();
  const ticks = useAppEvents(session, app);
  const info = useLoad(() => session.client.apps.get(app), [app, ticks.release, ticks.config]);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const go = (next: Tab) => navigate(routePath({ page: 'app', app, tab: next }));
  // Arrow keys, Home and End move between tabs, as the WAI-ARIA tabs pattern has it.
  const onKey = (event: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    const moves: Record<string, number> = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 };
    const to = moves[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = TABS[(to + TABS.length) % TABS.length]!;
    go(next);
    tabs.current[TABS.indexOf(next)]?.focus();
  };
  return (
    <TicksContext.Provider value={ticks}>
      <div class="app-head">
        <h1>{app}</h1>
        {info.data?.maintenance && <span class="state state-crashed">maintenance</span>}
        <span class={ticks.connected ? 'live on' : 'live'} title="Live updates">
          {ticks.connected ? 'live' : 'reconnecting'}
        </span>
      </div>
      <ErrorText error={info.error} />
      <div role="tablist" aria-label="App sections" class="tabs" onKeyDown={onKey}>
        {TABS.map((name, i) => (
          <button
            key={name}
            type="button"
            role="tab"
            id={`tab-${name}`}
            aria-selected={name === tab}
            aria-controls="tab-panel"
            tabIndex={name === tab ? 0 : -1}
            ref={(element) => {
              tabs.current[i] = element;
            }}
            onClick={() => go(name)}
          >
            {LABELS[name]}
          </button>
        ))}
      </div>
      <section role="tabpanel" id="tab-panel" aria-labelledby={`tab-${tab}`}>
        {!info.data ? <Loading what={app} /> : <Panel tab={tab} app={info.data.name} webUrl={info.data.web_url} />}
      </section>
    </TicksContext.Provider>
  );
}

function Panel({ tab, app, webUrl }: { tab: Tab; app: string; webUrl: string }) {
  switch (tab) {
    case 'overview':
      return <Overview app={app} webUrl={webUrl} />;
    case 'activity':
      return <Activity app={app} />;
    case 'metrics':
      return <MetricsView app={app} />;
    case 'logs':
      return <Logs app={app} />;
    case 'settings':
      return <Settings app={app} />;
    case 'addons':
      return <Addons app={app} />;
  }
}
