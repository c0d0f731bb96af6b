/** Every app the token may see: its state, dynos, current release, last deploy and a memory sparkline. */
import type { App } from '@plat/core';
import { ErrorText, Link, Loading } from './common.js';
import { appState, chartData, dynoSummary, formatBytes, timeAgo } from './format.js';
import { useLoad } from './hooks.js';
import { useSession } from './session.js';
import { Sparkline } from './sparkline.js';

export function AppsList() {
  const { client } = useSession();
  const apps = useLoad(() => client.apps.list(), []);
  return (
    <section aria-labelledby="apps-heading">
      <h1 id="apps-heading">Apps</h1>
      <ErrorText error={apps.error} />
      {!apps.data ? (
        <Loading what="apps" />
      ) : apps.data.length === 0 ? (
        <p>
          No apps yet. Create one with <code>plat apps:create</code> and <code>git push</code> to it.
        </p>
      ) : (
        <ul class="apps">
          {apps.data.map((app) => (
            <AppCard key={app.id} app={app} />
          ))}
        </ul>
      )}
    </section>
  );
}

function AppCard({ app }: { app: App }) {
  const { client } = useSession();
  const status = useLoad(async () => {
    const [formation, dynos, releases] = await Promise.all([
      client.formation.list(app.name),
      client.dynos.list(app.name),
      client.releases.list(app.name),
    ]);
    return { formation, dynos, releases };
  }, [app.name]);
  // Metrics may be missing (no samples yet, or an older platd): the card shows the rest.
  const memory = useLoad(() => client.metrics(app.name, { since: '1h' }).catch(() => undefined), [app.name]);
  const current = status.data?.releases.find((release) => release.current);
  const lastDeploy = status.data?.releases.find((release) => release.description.startsWith('Deploy'));
  const chart = memory.data ? chartData(memory.data.series, 'memory') : undefined;
  const total = chart
    ? chart.times.map((_, i) => chart.lines.reduce((sum, line) => sum + (line.values[i] ?? 0), 0))
    : [];
  const state = status.data ? appState(status.data.dynos) : undefined;
  return (
    <li class="app-card">
      <Link href={`/apps/${app.name}`} class="app-name">
        {app.name}
      </Link>
      {state && <span class={`state state-${state}`}>{state}</span>}
      <dl>
        <dt>Dynos</dt>
        <dd>{status.data ? dynoSummary(status.data.formation, status.data.dynos) : '…'}</dd>
        <dt>Release</dt>
        <dd>{current ? `v${current.version}` : status.data ? 'none' : '…'}</dd>
        <dt>Last deploy</dt>
        <dd>{lastDeploy ? timeAgo(lastDeploy.created_at) : status.data ? 'never' : '…'}</dd>
        <dt>Memory</dt>
        <dd>
          <Sparkline values={total} label={`Memory over the last hour, now ${formatBytes(total.at(-1) ?? 0)}`} />
        </dd>
      </dl>
      <ErrorText error={status.error} />
    </li>
  );
}
