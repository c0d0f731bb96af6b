/** Log in with an API token (`plat tokens:create` makes one); it is checked against /v1/account before it is kept. */
import { useState } from 'preact/hooks';
import { ErrorText } from './common.js';
import { clientFor, describeError, saveToken } from './session.js';

export function Login(props: { message: string | undefined; onLogin: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) return setError('Enter an API token.');
    setBusy(true);
    try {
      await clientFor(value).account.get();
      saveToken(value);
      props.onLogin(value);
    } catch (failure) {
      const { message, unauthorized } = describeError(failure);
      setError(unauthorized ? 'That token was not accepted: it is mistyped, expired or revoked.' : message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>Plat</h1>
      <form onSubmit={submit}>
        <ErrorText error={error ?? props.message} />
        <label for="token">API token</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          spellcheck={false}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Log in
        </button>
        <p class="muted">
          Make one with <code>plat tokens:create</code>. It is kept in this tab only, never in a URL.
        </p>
      </form>
    </main>
  );
}
