/** Config vars: values hidden until revealed; add, edit and remove, each save one PATCH and so one release. */
import type { ConfigVars } from '@plat/core';
import { useState } from 'preact/hooks';
import { ActionButton, ErrorText, Loading } from './common.js';
import { masked } from './format.js';
import { useAction, useLoad } from './hooks.js';
import { useTicks } from './live.js';
import { useSession } from './session.js';

export function ConfigVarsSection({ app }: { app: string }) {
  const { client } = useSession();
  const ticks = useTicks();
  const vars = useLoad(() => client.configVars.get(app), [app, ticks.config, ticks.release]);
  const add = useAction();
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const save = (changes: Record<string, string | null>) => async () => {
    await client.configVars.update(app, changes);
    vars.reload();
  };
  return (
    <section aria-labelledby="config-heading">
      <h2 id="config-heading">Config vars</h2>
      <ErrorText error={vars.error} />
      {!vars.data ? <Loading what="config vars" /> : <VarList vars={vars.data} save={save} />}
      <form
        class="inline"
        onSubmit={(event) => {
          event.preventDefault();
          void add.run(save({ [key.trim()]: value })).then((ok) => {
            if (ok) {
              setKey('');
              setValue('');
            }
          });
        }}
      >
        <label>
          Key
          <input type="text" value={key} spellcheck={false} onInput={(e) => setKey(e.currentTarget.value)} />
        </label>
        <label>
          Value
          <input type="text" value={value} spellcheck={false} onInput={(e) => setValue(e.currentTarget.value)} />
        </label>
        <button type="submit" disabled={add.busy || !key.trim()}>
          Add config var
        </button>
      </form>
      <ErrorText error={add.error} />
    </section>
  );
}

type Save = (changes: Record<string, string | null>) => () => Promise<void>;

function VarList({ vars, save }: { vars: ConfigVars; save: Save }) {
  const keys = Object.keys(vars).sort();
  if (keys.length === 0) return <p>No config vars.</p>;
  return (
    <ul class="config-vars">
      {keys.map((key) => (
        <VarRow key={key} name={key} value={vars[key]!} save={save} />
      ))}
    </ul>
  );
}

function VarRow({ name, value, save }: { name: string; value: string; save: Save }) {
  const [shown, setShown] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const edit = useAction();
  const remove = useAction();
  return (
    <li class="config-var" data-key={name}>
      <code class="key">{name}</code>
      {editing === null ? (
        <code class="value">{shown ? value : masked(value)}</code>
      ) : (
        <form
          class="inline"
          onSubmit={(event) => {
            event.preventDefault();
            void edit.run(save({ [name]: editing })).then((ok) => ok && setEditing(null));
          }}
        >
          <label>
            {`Value of ${name}`}
            <input type="text" value={editing} spellcheck={false} onInput={(e) => setEditing(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={edit.busy}>{`Save ${name}`}</button>
          <button type="button" class="secondary" onClick={() => setEditing(null)}>
            Cancel
          </button>
        </form>
      )}
      <span class="buttons">
        <button type="button" class="secondary" aria-pressed={shown} onClick={() => setShown(!shown)}>
          {shown ? `Hide ${name}` : `Reveal ${name}`}
        </button>
        {editing === null && (
          <button type="button" class="secondary" onClick={() => setEditing(value)}>
            {`Edit ${name}`}
          </button>
        )}
        <ActionButton action={remove} onRun={save({ [name]: null })} kind="danger">
          {`Remove ${name}`}
        </ActionButton>
      </span>
      <ErrorText error={edit.error} />
    </li>
  );
}
