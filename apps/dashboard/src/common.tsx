/** Small pieces every view uses. */
import type { ComponentChildren } from 'preact';
import type { Action } from './hooks.js';
import { navigate, plainClick } from './router.js';

/** The API's message beside the control that failed (announced to screen readers). */
export function ErrorText({ error }: { error: string | undefined }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return <p class="muted">Loading {what}…</p>;
}

/** A button that runs an action, disabled while it runs, its failure shown after it. */
export function ActionButton(props: {
  action: Action;
  onRun: () => Promise<unknown>;
  children: ComponentChildren;
  kind?: 'danger' | 'secondary';
  disabled?: boolean;
  label?: string;
}) {
  const { action, onRun, children, kind, disabled, label } = props;
  return (
    <span class="action">
      <button
        type="button"
        class={kind}
        disabled={action.busy || disabled}
        aria-label={label}
        onClick={() => void action.run(onRun)}
      >
        {children}
      </button>
      <ErrorText error={action.error} />
    </span>
  );
}

/** A link the page follows itself, so the session and the open streams stay. */
export function Link(props: { href: string; children: ComponentChildren; class?: string }) {
  return (
    <a
      href={props.href}
      class={props.class}
      onClick={(event) => {
        if (!plainClick(event)) return;
        event.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}
