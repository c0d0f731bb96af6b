/** Overview: where the app answers, what runs, and the controls to scale, resize and restart it. */
import type { Dyno, FormationEntry } from '@plat/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ActionButton, ErrorText, Loading } from './common.js';
import { timeAgo } from './format.js';
import { useAction, useLoad } from './hooks.js';
import { useTicks } from './live.js';
import { useSession } from './session.js';

/** platd's dyno sizes (apps/api controller/dyno-spec.ts); the API checks, this only offers them. */
const SIZES = ['eco', 'basic', 'standard', 'performance'];

export function Overview({ app, webUrl }: { app: string; webUrl: string }) {
  const { client } = useSession();
  const ticks = useTicks();
  const releases = useLoad(() => client.releases.list(app), [app, ticks.release]);
  const formation = useLoad(() => client.formation.list(app), [app, ticks.formation, ticks.release]);
  const dynos = useLoad(() => client.dynos.list(app), [app, ticks.dyno, ticks.formation, ticks.release]);
  const restart = useAction();
  const current = releases.data?.find((release) => release.current);
  // Dyno events (starting, up, crashed, sleeping) reload the list; a slow look now and then catches what a
  // reconnect gap or another platd missed.
  useEffect(() => {
    const timer = setTimeout(dynos.reload, 30_000);
    return () => clearTimeout(timer);
  }, [dynos.data, dynos.reload]);
  return (
    <div class="stack">
      <section aria-labelledby="where-heading">
        <h2 id="where-heading">App</h2>
        <dl class="facts">
          <dt>Web URL</dt>
          <dd>
            <a href={webUrl} target="_blank" rel="noopener noreferrer">
              {webUrl}
            </a>
          </dd>
          <dt>Current release</dt>
          <dd data-testid="current-release">
            {current ? `v${current.version}: ${current.description}` : releases.data ? 'none yet' : '…'}
          </dd>
        </dl>
      </section>
      <section aria-labelledby="formation-heading">
        <h2 id="formation-heading">Formation</h2>
        <ErrorText error={formation.error} />
        {!formation.data ? (
          <Loading what="formation" />
        ) : formation.data.length === 0 ? (
          <p>No process types yet: push code with a Procfile (or a web server the buildpack finds).</p>
        ) : (
          <ul class="formation">
            {formation.data.map((entry) => (
              <FormationRow key={entry.type} app={app} entry={entry} onSaved={formation.reload} />
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="dynos-heading">
        <h2 id="dynos-heading">Dynos</h2>
        <ActionButton action={restart} onRun={() => client.dynos.restart(app)} kind="secondary">
          Restart all dynos
        </ActionButton>
        <ErrorText error={dynos.error} />
        {dynos.data && <DynoList app={app} dynos={dynos.data} />}
      </section>
    </div>
  );
}

function FormationRow({ app, entry, onSaved }: { app: string; entry: FormationEntry; onSaved: () => void }) {
  const { client } = useSession();
  const [quantity, setQuantity] = useState(String(entry.quantity));
  const [size, setSize] = useState(entry.size);
  const save = useAction();
  const restart = useAction();
  // A change from elsewhere (the CLI, another tab) shows. Only a change: an effect runs a frame after the row
  // mounts, and resetting then would undo what was typed in the meantime.
  const shown = useRef({ quantity: entry.quantity, size: entry.size });
  useEffect(() => {
    if (shown.current.quantity === entry.quantity) return;
    shown.current.quantity = entry.quantity;
    setQuantity(String(entry.quantity));
  }, [entry.quantity]);
  useEffect(() => {
    if (shown.current.size === entry.size) return;
    shown.current.size = entry.size;
    setSize(entry.size);
  }, [entry.size]);
  const changed = quantity !== String(entry.quantity) || size !== entry.size;
  const sizes = SIZES.includes(entry.size) ? SIZES : [entry.size, ...SIZES];
  return (
    <li class="formation-row">
      <h3>{entry.type}</h3>
      <code class="command">{entry.command ?? ''}</code>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          void save.run(async () => {
            await client.formation.update(app, [{ type: entry.type, quantity: Number(quantity), size }]);
            onSaved();
          });
        }}
      >
        <label>
          {`${entry.type} dynos`}
          <input
            type="number"
            min={0}
            inputMode="numeric"
            value={quantity}
            onInput={(event) => setQuantity(event.currentTarget.value)}
          />
        </label>
        <label>
          {`${entry.type} size`}
          <select value={size} onChange={(event) => setSize(event.currentTarget.value)}>
            {sizes.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={save.busy || !changed}>
          {`Scale ${entry.type}`}
        </button>
        <ActionButton action={restart} onRun={() => client.dynos.restart(app, entry.type)} kind="secondary">
          {`Restart ${entry.type}`}
        </ActionButton>
      </form>
      <ErrorText error={save.error} />
    </li>
  );
}

function DynoList({ app, dynos }: { app: string; dynos: Dyno[] }) {
  if (dynos.length === 0) return <p>No dynos running.</p>;
  return (
    <table class="dynos">
      <caption class="visually-hidden">{`Dynos of ${app}`}</caption>
      <thead>
        <tr>
          <th scope="col">Dyno</th>
          <th scope="col">State</th>
          <th scope="col">Release</th>
          <th scope="col">Restarts</th>
          <th scope="col">Started</th>
        </tr>
      </thead>
      <tbody>
        {[...dynos]
          .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))
          .map((dyno) => (
            <tr key={dyno.id} data-dyno={dyno.name}>
              <th scope="row">{dyno.name}</th>
              <td>
                <span class={`state state-${dyno.state}`}>
                  {dyno.state}
                  {dyno.exit_code !== null ? ` (exit ${dyno.exit_code})` : ''}
                </span>
              </td>
              <td>{`v${dyno.release}`}</td>
              <td>{dyno.restarts}</td>
              <td>{timeAgo(dyno.created_at)}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
