import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { Field, Notice, Page } from '../ui.js';

/** The invite token travels in the URL fragment (`#invite=…`), which never reaches a server log. */
export function inviteToken(): string | null {
  return new URLSearchParams(window.location.hash.slice(1)).get('invite');
}

/** Accepting an invite: the new person chooses a name and password, then signs in. */
export function InvitePage(props: { token: string; onDone: () => void }): JSX.Element {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await api('POST', '/api/users/invites/accept', { token: props.token, name, password });
      window.history.replaceState(null, '', '/login');
      props.onDone();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <Page title="Join Hearth">
      <form onSubmit={submit}>
        <Field label="Your name" name="name" value={name} onInput={setName} max={64} required autocomplete="username" />
        <Field
          label="Password (at least 12 characters)"
          name="password"
          type="password"
          value={password}
          onInput={setPassword}
          required
          autocomplete="new-password"
        />
        <Notice error={error} />
        <button type="submit">Create my account</button>
      </form>
    </Page>
  );
}
