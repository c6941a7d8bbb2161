import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { Link } from '../router.js';
import { adoptSession, type Me } from '../session.js';
import { Field, Notice, Page } from '../ui.js';

/** Whether first-run setup is still open (no owner yet); undefined while asking, false when the question fails. */
export function useSetupNeeded(ask: boolean): boolean | undefined {
  const [needed, setNeeded] = useState<boolean | undefined>(undefined);
  useEffect(() => {
    // Asked afresh each time it matters (signed out, or on /setup): setup may have finished meanwhile.
    setNeeded(undefined);
    if (!ask) return;
    let live = true;
    api<{ needed?: boolean }>('GET', '/api/setup').then(
      (r) => live && setNeeded(r.needed === true),
      () => live && setNeeded(false),
    );
    return () => void (live = false);
  }, [ask]);
  return needed;
}

/** Where the one-time setup link is: the server's terminal output, or a new one from `hearth setup-link`. */
function WhereIsTheLink(): JSX.Element {
  return (
    <>
      <p>
        The link was printed in the <strong>server's terminal output</strong> when Hearth started, on a line beginning{' '}
        <q>No owner yet. Create one within 1 hour:</q>. It works once, for one hour.
      </p>
      <p>
        Lost it, or has it expired? On the server, in Hearth's folder, run <code>npx hearth setup-link</code>: it prints a new link and
        works while the server keeps running.
      </p>
    </>
  );
}

/** Shown on the sign-in page while no owner exists (AUTH-1): nobody can sign in yet. */
export function SetupPending(): JSX.Element {
  return (
    <section class="notice info" role="status" aria-labelledby="setup-pending-title">
      <h2 id="setup-pending-title">Setup pending</h2>
      <p>
        Hearth has no owner yet, so nobody can sign in. There is no default account or password: the owner is created with a one-time setup
        link.
      </p>
      <WhereIsTheLink />
    </section>
  );
}

/** The one-time link's token lives in the fragment, so it never reaches a server log. */
function tokenFromHash(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}

/** First run (AUTH-1): the owner chooses a name and password with the one-time setup token. */
export function SetupPage(props: { onDone: (me: Me | null) => void; needed?: boolean | undefined }): JSX.Element {
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

  if (props.needed === false)
    return (
      <Page title="Set up Hearth">
        <Notice info="Setup is complete: Hearth has an owner." />
        <p>
          <Link href="/login">Sign in</Link> instead, or ask an owner for an invite.
        </p>
      </Page>
    );

  return (
    <Page title="Set up Hearth">
      {!token && (
        <>
          <Notice error="This page needs the one-time setup link." />
          <WhereIsTheLink />
        </>
      )}
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
