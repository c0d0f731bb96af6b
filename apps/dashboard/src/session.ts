/**
 * The signed-in session: the API token in sessionStorage (gone with the
 * tab, never in a URL or a cookie), the client made with it, and what
 * happens when the API stops accepting it.
 */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { PlatClient } from '@plat/client';

const KEY = 'plat.token';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}

const SIGNED_OUT = 'plat.signed-out';

/** Why the session ended, kept in the tab: a reload of the login form still says it. */
export function signedOutMessage(): string | undefined {
  return sessionStorage.getItem(SIGNED_OUT) ?? undefined;
}

export function setSignedOutMessage(message: string | undefined): void {
  if (message === undefined) sessionStorage.removeItem(SIGNED_OUT);
  else sessionStorage.setItem(SIGNED_OUT, message);
}

/** A client on the page's own origin: the dashboard is served by the platd it drives. */
export function clientFor(token: string): PlatClient {
  return new PlatClient({ apiUrl: location.origin, token });
}

export interface Session {
  token: string;
  client: PlatClient;
  /** Back to the login form with this message (a 401: expired or revoked token). */
  expire: (message: string) => void;
  logOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** The message to show for a failure, and whether it means the token is no longer good. */
export function describeError(error: unknown): { message: string; unauthorized: boolean } {
  const { id, message } = error as { id?: string; message?: string };
  return { message: message ?? String(error), unauthorized: id === 'unauthorized' };
}
