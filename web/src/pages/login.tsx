import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import { login, type Me } from '../session.js';
import { Field, Notice, Page } from '../ui.js';
import { SetupPending } from './setup.js';

/** Sign in with name and password; lockouts and rate limits show their message. Before setup, it says where the setup link is. */
export function LoginPage(props: { onLogin: (me: Me) => void; setupPending?: boolean; expired?: boolean }): JSX.Element {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await login(name, password);
      if (me) props.onLogin(me);
      else setError('Signed in, but the session could not be read.');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Page title="Sign in">
      {props.setupPending && <SetupPending />}
      {props.expired && (
        <p class="notice info" role="status">
          Your session ended (it expired, or it was signed out from another device). Sign in to continue where you were.
        </p>
      )}
      <form onSubmit={submit}>
        <Field label="Name" name="name" value={name} onInput={setName} required autocomplete="username" />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          required
          autocomplete="current-password"
        />
        <Notice error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </Page>
  );
}
