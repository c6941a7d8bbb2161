import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import type { Me } from '../session.js';
import { Field, NewPasswordFields, newPasswordProblem, Notice, Page } from '../ui.js';
import { ChatAccounts } from './chat-accounts.js';

/** The signed-in person's account: who they are, changing their own password (AUTH-2), their linked chat accounts (#15). */
export function AccountPage(props: { me: Me }): JSX.Element {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setInfo(null);
    const problem = newPasswordProblem(next, confirm);
    if (problem) return setError(problem);
    setError(null);
    setBusy(true);
    try {
      await api('POST', '/api/auth/password', { current, next });
      setCurrent('');
      setNext('');
      setConfirm('');
      setInfo('Password changed. Every other session of yours was signed out; this one stays signed in.');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="Account">
      <p>
        Signed in as <strong>{props.me.name}</strong> ({props.me.role}).
      </p>
      <form onSubmit={submit} aria-labelledby="password-title">
        <h2 id="password-title">Change your password</h2>
        <Field
          label="Current password"
          name="current-password"
          type="password"
          value={current}
          onInput={setCurrent}
          required
          autocomplete="current-password"
        />
        <NewPasswordFields password={next} repeat={confirm} onPassword={setNext} onRepeat={setConfirm} />
        <Notice error={error} info={info} />
        <button type="submit" disabled={busy}>
          Change password
        </button>
      </form>
      <ChatAccounts />
    </Page>
  );
}
