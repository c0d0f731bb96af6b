/** Activity: releases (each earlier one can be rolled back to) and builds with their output. */
import type { Build, BuildWithOutput, Release } from '@plat/core';
import { useState } from 'preact/hooks';
import { ActionButton, ErrorText, Loading } from './common.js';
import { timeAgo } from './format.js';
import { useAction, useLoad } from './hooks.js';
import { useTicks } from './live.js';
import { useSession } from './session.js';

export function Activity({ app }: { app: string }) {
  const { client } = useSession();
  const ticks = useTicks();
  const releases = useLoad(() => client.releases.list(app), [app, ticks.release]);
  const builds = useLoad(() => client.builds.list(app), [app, ticks.build]);
  return (
    <div class="stack">
      <section aria-labelledby="releases-heading">
        <h2 id="releases-heading">Releases</h2>
        <ErrorText error={releases.error} />
        {!releases.data ? (
          <Loading what="releases" />
        ) : releases.data.length === 0 ? (
          <p>No releases yet.</p>
        ) : (
          <ol class="releases">
            {releases.data.map((release) => (
              <ReleaseRow key={release.id} app={app} release={release} />
            ))}
          </ol>
        )}
      </section>
      <section aria-labelledby="builds-heading">
        <h2 id="builds-heading">Builds</h2>
        <ErrorText error={builds.error} />
        {!builds.data ? (
          <Loading what="builds" />
        ) : builds.data.length === 0 ? (
          <p>No builds yet.</p>
        ) : (
          <ol class="builds">
            {builds.data.map((build) => (
              <BuildRow key={build.id} app={app} build={build} />
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}

function ReleaseRow({ app, release }: { app: string; release: Release }) {
  const { client } = useSession();
  const rollback = useAction();
  return (
    <li class="release" data-version={release.version}>
      <strong>{`v${release.version}`}</strong>
      <span>{release.description}</span>
      <span class={`state state-${release.status}`}>{release.current ? 'current' : release.status}</span>
      <time dateTime={release.created_at} title={release.created_at}>
        {timeAgo(release.created_at)}
      </time>
      {!release.current && release.status === 'succeeded' && release.image && (
        <ActionButton action={rollback} onRun={() => client.releases.rollback(app, release.version)} kind="secondary">
          {`Roll back to v${release.version}`}
        </ActionButton>
      )}
    </li>
  );
}

function BuildRow({ app, build }: { app: string; build: Build }) {
  const { client } = useSession();
  const [open, setOpen] = useState(false);
  return (
    <li class="build">
      <details onToggle={(event) => setOpen(event.currentTarget.open)}>
        <summary>
          <span class={`state state-${build.status}`}>{build.status}</span>{' '}
          <code>{build.source_commit.slice(0, 7)}</code> {build.buildpack ?? ''}{' '}
          <time dateTime={build.created_at}>{timeAgo(build.created_at)}</time>
        </summary>
        {open && <BuildOutput load={() => client.builds.get(app, build.id)} status={build.status} />}
      </details>
    </li>
  );
}

function BuildOutput(props: { load: () => Promise<BuildWithOutput>; status: string }) {
  const output = useLoad(props.load, [props.status]);
  if (output.error) return <ErrorText error={output.error} />;
  if (!output.data) return <Loading what="build output" />;
  return <pre class="output">{output.data.output}</pre>;
}
