import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { NewPasswordFields, newPasswordProblem, Notice, Page } from '../ui.js';

/** The reset token lives in the fragment (`/reset-password#token=…`), so it never reaches a server log. */
function tokenFromHash(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

/** Setting a new password with the one-time link an owner made; it ends every session of the person. */
export function ResetPasswordPage(props: { onDone: () => void }): JSX.Element {
  const [token] = useState(tokenFromHash);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [doneFor, setDoneFor] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const problem = newPasswordProblem(password, confirm);
    if (problem) return setError(problem);
    setError(null);
    setBusy(true);
    try {
      const r = await api<{ name?: string }>('POST', '/api/auth/password-reset', { token, password });
      // The link is spent: drop it from the address bar and history entry.
      window.history.replaceState(null, '', '/reset-password');
      setDoneFor(r.name ?? '');
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  if (doneFor !== null)
    return (
      <Page title="Choose a new password">
        <Notice info={`Your new password is set${doneFor ? `, ${doneFor}` : ''}. You were signed out everywhere; sign in with it now.`} />
        <button type="button" onClick={props.onDone}>
          Sign in
        </button>
      </Page>
    );

  return (
    <Page title="Choose a new password">
      {!token && <Notice error="This page needs the one-time reset link an owner made for you. Ask them for a new one." />}
      <p>The link works once, within an hour of being made. Using it signs you out on every device.</p>
      <form onSubmit={submit}>
        <NewPasswordFields password={password} repeat={confirm} onPassword={setPassword} onRepeat={setConfirm} />
        <Notice error={error} />
        <button type="submit" disabled={busy || !token}>
          Set new password
        </button>
      </form>
    </Page>
  );
}
