/** Loading and acting on the API from views: errors shown where they happen, a 401 ends the session. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError, useSession } from './session.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | undefined;
  reload: () => void;
}

/** Runs `load` now and whenever a dep changes (live events bump them); keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const session = useSession();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [nonce, setNonce] = useState(0);
  // The caller names what the load depends on (as useEffect's deps).
  useEffect(() => {
    let current = true;
    load().then(
      (value) => {
        if (!current) return;
        setData(value);
        setError(undefined);
      },
      (failure: unknown) => {
        if (!current) return;
        const { message, unauthorized } = describeError(failure);
        if (unauthorized) session.expire(message);
        else setError(message);
      },
    );
    return () => {
      current = false;
    };
  }, [...deps, nonce]);
  return { data, error, reload: useCallback(() => setNonce((n) => n + 1), []) };
}

export interface Action {
  run: (work: () => Promise<unknown>) => Promise<boolean>;
  busy: boolean;
  error: string | undefined;
}

/** One control's action: busy while it runs, the API's message kept beside the control when it fails. */
export function useAction(): Action {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = useCallback(
    async (work: () => Promise<unknown>) => {
      setBusy(true);
      setError(undefined);
      try {
        await work();
        return true;
      } catch (failure) {
        const { message, unauthorized } = describeError(failure);
        if (unauthorized) session.expire(message);
        else setError(message);
        return false;
      } finally {
        setBusy(false);
      }
    },
    [session],
  );
  return { run, busy, error };
}
