/** Add-ons: the app's add-ons, a plan picker to create one, info, destroy; Postgres backups. */
import type { AddonInfo } from '@plat/core';
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { ActionButton, ErrorText, Loading } from './common.js';
import { formatBytes, timeAgo } from './format.js';
import { useAction, useLoad } from './hooks.js';
import { useTicks } from './live.js';
import { useSession } from './session.js';

export function Addons({ app }: { app: string }) {
  const { client } = useSession();
  const ticks = useTicks();
  const addons = useLoad(() => client.addons.list(app), [app, ticks.addon]);
  return (
    <div class="stack">
      <section aria-labelledby="addons-heading">
        <h2 id="addons-heading">Add-ons</h2>
        <ErrorText error={addons.error} />
        {!addons.data ? (
          <Loading what="add-ons" />
        ) : addons.data.length === 0 ? (
          <p>No add-ons.</p>
        ) : (
          <ul class="addons">
            {addons.data.map((addon) => (
              <AddonRow key={addon.name} app={app} addon={addon} onGone={addons.reload} />
            ))}
          </ul>
        )}
        <CreateAddon app={app} onCreated={addons.reload} />
      </section>
      {addons.data?.some((addon) => addon.provider === 'postgres') && <Backups app={app} />}
    </div>
  );
}

function CreateAddon({ app, onCreated }: { app: string; onCreated: () => void }) {
  const { client } = useSession();
  const services = useLoad(() => client.addons.services(), []);
  const [plan, setPlan] = useState('');
  const create = useAction();
  const options = services.data?.flatMap((service) =>
    service.plans.map((p) => ({
      value: `${service.name}:${p.name}`,
      text: `${service.name}:${p.name}: ${p.description}${p.name === service.default_plan ? ' (default)' : ''}`,
    })),
  );
  const chosen = plan || options?.[0]?.value || '';
  return (
    <form
      class="inline"
      onSubmit={(event) => {
        event.preventDefault();
        void create.run(async () => {
          await client.addons.create(app, { plan: chosen });
          onCreated();
        });
      }}
    >
      <label>
        Plan
        <select value={chosen} onChange={(event) => setPlan(event.currentTarget.value)}>
          {options?.map((option) => (
            <option key={option.value} value={option.value}>
              {option.text}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={create.busy || !chosen}>
        {create.busy ? 'Creating add-on…' : 'Create add-on'}
      </button>
      <ErrorText error={create.error ?? services.error} />
    </form>
  );
}

function AddonRow({ app, addon, onGone }: { app: string; addon: AddonInfo; onGone: () => void }) {
  const { client } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const destroy = useAction();
  const restart = useAction();
  return (
    <li class="addon" data-addon={addon.name}>
      <h3>{addon.name}</h3>
      <span class={`state state-${addon.state}`}>{addon.state}</span>
      <dl class="facts">
        <dt>Plan</dt>
        <dd>{`${addon.provider}:${addon.plan}`}</dd>
        <dt>Config var</dt>
        <dd>
          <code>{addon.config_var}</code>
        </dd>
        <dt>Created</dt>
        <dd>{timeAgo(addon.created_at)}</dd>
      </dl>
      {addon.provider === 'postgres' && <PgInfo app={app} addon={addon.name} />}
      <span class="buttons">
        <ActionButton action={restart} onRun={() => client.addons.restart(app, addon.name)} kind="secondary">
          {`Restart ${addon.name}`}
        </ActionButton>
        {!confirming && (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            {`Destroy ${addon.name}`}
          </button>
        )}
      </span>
      {confirming && (
        <div class="inline">
          <label>
            {`Type ${addon.name} to destroy it and its data`}
            <input type="text" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
          </label>
          <ActionButton
            action={destroy}
            kind="danger"
            disabled={typed !== addon.name}
            onRun={async () => {
              await client.addons.destroy(app, addon.name, typed);
              onGone();
            }}
          >
            {`Confirm destroying ${addon.name}`}
          </ActionButton>
          <button type="button" class="secondary" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      )}
    </li>
  );
}

function PgInfo({ app, addon }: { app: string; addon: string }) {
  const { client } = useSession();
  const info = useLoad(() => client.pg.info(app, addon), [app, addon]);
  if (info.error) return <ErrorText error={info.error} />;
  if (!info.data) return null;
  return (
    <dl class="facts">
      {Object.entries(info.data).map(([key, value]) => (
        <Fragment key={key}>
          <dt>{key}</dt>
          <dd>{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

function Backups({ app }: { app: string }) {
  const { client } = useSession();
  const backups = useLoad(() => client.pg.backups(app), [app]);
  const capture = useAction();
  return (
    <section aria-labelledby="backups-heading">
      <h2 id="backups-heading">Postgres backups</h2>
      <ActionButton
        action={capture}
        onRun={async () => {
          await client.pg.capture(app);
          backups.reload();
        }}
      >
        {capture.busy ? 'Capturing backup…' : 'Capture backup'}
      </ActionButton>
      <ErrorText error={backups.error} />
      {backups.data && backups.data.length === 0 && <p>No backups yet.</p>}
      <ul class="rows">
        {backups.data?.map((backup) => (
          <li key={backup.id}>
            <code>{backup.id}</code>
            <span>{backup.addon}</span>
            <span>{formatBytes(backup.size_bytes)}</span>
            <time dateTime={backup.created_at}>{timeAgo(backup.created_at)}</time>
            <Restore app={app} backup={backup.id} addon={backup.addon} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function Restore({ app, backup, addon }: { app: string; backup: string; addon: string }) {
  const { client } = useSession();
  const [typed, setTyped] = useState<string | null>(null);
  const restore = useAction();
  if (typed === null)
    return (
      <button type="button" class="secondary" onClick={() => setTyped('')}>
        {`Restore ${backup}`}
      </button>
    );
  return (
    <span class="inline">
      <label>
        {`Type ${app} to replace ${addon}'s data with ${backup}`}
        <input type="text" value={typed} onInput={(e) => setTyped(e.currentTarget.value)} />
      </label>
      <ActionButton
        action={restore}
        kind="danger"
        disabled={typed !== app}
        onRun={async () => {
          await client.pg.restore(app, backup, { addon, confirm: typed });
          setTyped(null);
        }}
      >
        {`Confirm restoring ${backup}`}
      </ActionButton>
    </span>
  );
}
