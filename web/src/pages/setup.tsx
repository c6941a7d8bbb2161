import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { adoptSession, type Me } from '../session.js';
import { Field, Notice, Page } from '../ui.js';

/** The one-time link's token lives in the fragment, so it never reaches a server log. */
function tokenFromHash(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

/** First run (AUTH-1): the owner chooses a name and password with the one-time setup token. */
export function SetupPage(props: { onDone: (me: Me | null) => void }): JSX.Element {
  const [token] = useState(tokenFromHash);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (password !== confirm) return setError('The two passwords differ.');
    if (password.length < 12) return setError('Use at least 12 characters.');
    setBusy(true);
    try {
      const answer = await api<{ user?: Me; csrfToken?: string }>('POST', '/api/setup', { token, name, password });
      window.history.replaceState(null, '', '/setup');
      props.onDone(adoptSession(answer));
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Set up Hearth">
      {!token && <Notice error="This page needs the one-time setup link that Hearth printed when it first started." />}
      <p>Create the owner account. There is no default password; choose at least 12 characters.</p>
      <form onSubmit={submit}>
        <Field label="Your name" name="name" value={name} onInput={setName} max={64} required autocomplete="username" />
        <Field
          label="Password"
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          required
          autocomplete="new-password"
        />
        <Field
          label="Repeat password"
          name="confirm"
          type="password"
          value={confirm}
          onInput={setConfirm}
          required
          autocomplete="new-password"
        />
        <Notice error={error} />
        <button type="submit" disabled={busy || !token}>
          Create owner
        </button>
      </form>
    </Page>
  );
}
