/** The dashboard's entry: the login form until a token works, then the apps and their pages. */
import './styles.css';
import { render } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { AppPage } from './app-page.js';
import { AppsList } from './apps-list.js';
import { Login } from './login.js';
import { Link } from './common.js';
import { useRoute } from './router.js';
import {
  clientFor,
  forgetToken,
  savedToken,
  type Session,
  SessionContext,
  setSignedOutMessage,
  signedOutMessage,
} from './session.js';

const SIGNED_OUT = 'You are signed out: your token has expired or was revoked. Log in with a valid one.';

function Dashboard() {
  const [token, setToken] = useState(savedToken);
  const [message, setMessage] = useState<string | undefined>(signedOutMessage);
  const route = useRoute();
  const session = useMemo<Session | null>(
    () =>
      token
        ? {
            token,
            client: clientFor(token),
            // The API's 401 message speaks to CLI users; here the way back is this form.
            expire: () => {
              forgetToken();
              setSignedOutMessage(SIGNED_OUT);
              setMessage(SIGNED_OUT);
              setToken(null);
            },
            logOut: () => {
              forgetToken();
              setSignedOutMessage(undefined);
              setMessage(undefined);
              setToken(null);
            },
          }
        : null,
    [token],
  );
  const logIn = (value: string) => {
    setSignedOutMessage(undefined);
    setMessage(undefined);
    setToken(value);
  };
  if (!session) return <Login message={message} onLogin={logIn} />;
  return (
    <SessionContext.Provider value={session}>
      <header class="top">
        <Link href="/" class="brand">
          Plat
        </Link>
        <button type="button" class="secondary" onClick={session.logOut}>
          Log out
        </button>
      </header>
      <main>{route.page === 'app' ? <AppPage key={route.app} app={route.app} tab={route.tab} /> : <AppsList />}</main>
    </SessionContext.Provider>
  );
}

render(<Dashboard />, document.getElementById('root')!);
