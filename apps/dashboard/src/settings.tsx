/** Settings: config vars, domains and certificates, buildpack, maintenance, collaborators, and destroying the app. */
import type { App } from '@plat/core';
import { useState } from 'preact/hooks';
import { Certificates } from './certificates.js';
import { ActionButton, ErrorText, Loading } from './common.js';
import { ConfigVarsSection } from './config-vars.js';
import { useAction, useLoad } from './hooks.js';
import { useTicks } from './live.js';
import { navigate } from './router.js';
import { useSession } from './session.js';

export function Settings({ app }: { app: string }) {
  const { client } = useSession();
  const ticks = useTicks();
  const info = useLoad(() => client.apps.get(app), [app, ticks.release]);
  return (
    <div class="stack">
      <ConfigVarsSection app={app} />
      <Domains app={app} />
      {info.data ? <AppSettings info={info.data} onSaved={info.reload} /> : <Loading what="settings" />}
      <Collaborators app={app} />
      <Destroy app={app} />
    </div>
  );
}

/** One text field and a button that saves it: domains and collaborators are added this way. */
function AddForm(props: { label: string; button: string; onAdd: (value: string) => Promise<unknown> }) {
  const [value, setValue] = useState('');
  const action = useAction();
  return (
    <>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          void action.run(() => props.onAdd(value.trim())).then((ok) => ok && setValue(''));
        }}
      >
        <label>
          {props.label}
          <input type="text" value={value} spellcheck={false} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={action.busy || !value.trim()}>
          {props.button}
        </button>
      </form>
      <ErrorText error={action.error} />
    </>
  );
}

function RemoveButton({ label, onRemove }: { label: string; onRemove: () => Promise<unknown> }) {
  const action = useAction();
  return (
    <ActionButton action={action} onRun={onRemove} kind="danger">
      {label}
    </ActionButton>
  );
}

function Domains({ app }: { app: string }) {
  const { client } = useSession();
  const domains = useLoad(() => client.domains.list(app), [app]);
  const certs = useLoad(() => client.certs.list(app), [app, domains.data]);
  const byHost = new Map(certs.data?.hostnames.map((h) => [h.hostname, h]) ?? []);
  return (
    <section aria-labelledby="domains-heading">
      <h2 id="domains-heading">Domains and certificates</h2>
      <ErrorText error={domains.error ?? certs.error} />
      {certs.data && <p>{`Automatic certificates (ACME) are ${certs.data.acm ? 'on' : 'off'}.`}</p>}
      {domains.data && domains.data.length > 0 ? (
        <ul class="rows">
          {domains.data.map((domain) => (
            <li key={domain.id}>
              <code>{domain.hostname}</code>
              <span class="muted">{`HTTPS: ${byHost.get(domain.hostname)?.state ?? 'none'}`}</span>
              <RemoveButton
                label={`Remove ${domain.hostname}`}
                onRemove={async () => {
                  await client.domains.remove(app, domain.hostname);
                  domains.reload();
                }}
              />
            </li>
          ))}
        </ul>
      ) : (
        domains.data && <p>No custom domains.</p>
      )}
      <AddForm
        label="Hostname"
        button="Add domain"
        onAdd={async (hostname) => {
          await client.domains.add(app, hostname);
          domains.reload();
        }}
      />
      <Certificates app={app} certs={certs} />
    </section>
  );
}

function AppSettings({ info, onSaved }: { info: App; onSaved: () => void }) {
  const { client } = useSession();
  const [buildpack, setBuildpack] = useState(info.buildpack ?? '');
  const saveBuildpack = useAction();
  const maintenance = useAction();
  return (
    <section aria-labelledby="app-settings-heading">
      <h2 id="app-settings-heading">Buildpack and maintenance</h2>
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          void saveBuildpack.run(async () => {
            await client.apps.update(info.name, { buildpack: buildpack.trim() || null });
            onSaved();
          });
        }}
      >
        <label>
          Buildpack
          <input
            type="text"
            placeholder="detected"
            value={buildpack}
            onInput={(e) => setBuildpack(e.currentTarget.value)}
          />
        </label>
        <button type="submit" disabled={saveBuildpack.busy}>
          Save buildpack
        </button>
      </form>
      <ErrorText error={saveBuildpack.error} />
      <label class="check">
        <input
          type="checkbox"
          checked={info.maintenance}
          disabled={maintenance.busy}
          onChange={(event) => {
            const on = event.currentTarget.checked;
            void maintenance.run(async () => {
              await client.apps.update(info.name, { maintenance: on });
              onSaved();
            });
          }}
        />
        Maintenance mode (the router answers 503 with a maintenance page)
      </label>
      <ErrorText error={maintenance.error} />
    </section>
  );
}

function Collaborators({ app }: { app: string }) {
  const { client } = useSession();
  const list = useLoad(() => client.collaborators.list(app), [app]);
  return (
    <section aria-labelledby="collaborators-heading">
      <h2 id="collaborators-heading">Collaborators</h2>
      <ErrorText error={list.error} />
      {list.data && list.data.length === 0 && <p>Only the owner.</p>}
      <ul class="rows">
        {list.data?.map((person) => (
          <li key={person.email}>
            <span>{person.email}</span>
            <RemoveButton
              label={`Remove ${person.email}`}
              onRemove={async () => {
                await client.collaborators.remove(app, person.email);
                list.reload();
              }}
            />
          </li>
        ))}
      </ul>
      <AddForm
        label="Email"
        button="Add collaborator"
        onAdd={async (email) => {
          await client.collaborators.add(app, email);
          list.reload();
        }}
      />
    </section>
  );
}

function Destroy({ app }: { app: string }) {
  const { client } = useSession();
  const [typed, setTyped] = useState('');
  const destroy = useAction();
  return (
    <section aria-labelledby="destroy-heading" class="danger-zone">
      <h2 id="destroy-heading">Destroy app</h2>
      <p>Stops every dyno, destroys its add-ons and their data, and deletes its repository. This cannot be undone.</p>
      <label>
        {`Type ${app} to confirm`}
        <input type="text" value={typed} spellcheck={false} onInput={(e) => setTyped(e.currentTarget.value)} />
      </label>
      <ActionButton
        action={destroy}
        kind="danger"
        disabled={typed !== app}
        onRun={async () => {
          await client.apps.destroy(app, typed);
          navigate('/');
        }}
      >
        Destroy app
      </ActionButton>
    </section>
  );
}
