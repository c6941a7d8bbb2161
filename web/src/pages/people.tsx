import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, errorFrom, listOf, messageOf } from '../api.js';
import type { Me } from '../session.js';
import { Field, Notice, Page, useResource, when } from '../ui.js';
import { ChannelIdentities } from './channel-identities.js';

interface Person {
  id: string;
  name: string;
  role: string;
  createdAt?: number;
}

/** People and invites; password-reset links (owners); export and erase with a confirmation that names the person; chat accounts. */
export function PeoplePage(props: { me: Me }): JSX.Element {
  const res = useResource<unknown>('/api/users');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [inviteRole, setInviteRole] = useState('member');
  const [inviteLink, setInviteLink] = useState<string | null>(null);
  const [erasing, setErasing] = useState<Person | null>(null);
  const [resetLink, setResetLink] = useState<{ name: string; link: string } | null>(null);
  const [typed, setTyped] = useState('');
  const [jwt, setJwt] = useState({ userId: '', issuer: '', subject: '' });

  // Owners change anyone's role (ownership included); admins change members and admins (the server checks it again).
  const canChangeRole = (p: Person) => p.id !== props.me.id && (props.me.role === 'owner' || p.role !== 'owner');
  const changeRole = async (p: Person, role: string) => {
    if (role === p.role) return;
    if (!window.confirm(`Make ${p.name} ${role === 'admin' ? 'an admin' : `a ${role}`}?`)) return res.reload();
    setError(null);
    try {
      await api('PUT', `/api/users/${encodeURIComponent(p.id)}/role`, { role });
      setInfo(`${p.name} is now ${role === 'admin' ? 'an admin' : `a ${role}`}.`);
      res.reload();
    } catch (err) {
      setError(messageOf(err));
      res.reload();
    }
  };

  const invite = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api<{ path?: string; token?: string }>('POST', '/api/users/invites', { role: inviteRole });
      setInviteLink(r.path ? `${window.location.origin}${r.path}` : r.token ? `${window.location.origin}/#invite=${r.token}` : null);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  // Owners only (the server checks too): a one-time link, valid 1 hour, that lets the person choose a new password.
  const resetPassword = async (p: Person) => {
    setError(null);
    setResetLink(null);
    try {
      const r = await api<{ path?: string }>('POST', `/api/users/${encodeURIComponent(p.id)}/password-reset`, {});
      if (r.path) setResetLink({ name: p.name, link: `${window.location.origin}${r.path}` });
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const exportPerson = async (p: Person) => {
    setError(null);
    const response = await fetch(`/api/users/${encodeURIComponent(p.id)}/export`, { credentials: 'same-origin' });
    if (!response.ok) return setError((await errorFrom(response)).message);
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `hearth-export-${p.name}.json`;
    a.click();
    URL.revokeObjectURL(url);
  };
  const erase = async (e: Event) => {
    e.preventDefault();
    if (!erasing || typed !== erasing.name) return;
    try {
      await api('DELETE', `/api/users/${encodeURIComponent(erasing.id)}`);
      setInfo(`${erasing.name} and everything they stored were erased.`);
      setErasing(null);
      setTyped('');
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  // Owners only (the server checks too): bearer JWTs of the issuer whose `sub` is this subject sign in as the person (AUTH-6).
  const linkJwt = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const person = listOf<Person>(res.data).find((p) => p.id === jwt.userId);
    if (!person) return setError('Choose a person');
    try {
      await api('POST', `/api/users/${encodeURIComponent(person.id)}/jwt-subjects`, {
        issuer: jwt.issuer.trim(),
        subject: jwt.subject.trim(),
      });
      setInfo(`Tokens for that subject now sign in as ${person.name}.`);
      setJwt({ userId: '', issuer: jwt.issuer, subject: '' });
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <Page title="People">
      <Notice error={error ?? res.error} info={info} />
      <table tabIndex={0}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Since</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {listOf<Person>(res.data).map((p) => (
            <tr key={p.id}>
              <td>{p.name}</td>
              <td>
                {canChangeRole(p) ? (
                  <select
                    aria-label={`Role of ${p.name}`}
                    value={p.role}
                    onChange={(e) => void changeRole(p, (e.currentTarget as HTMLSelectElement).value)}
                  >
                    {(props.me.role === 'owner' ? ['member', 'admin', 'owner'] : ['member', 'admin']).map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                ) : (
                  p.role
                )}
              </td>
              <td>{when(p.createdAt)}</td>
              <td class="actions">
                <button type="button" class="secondary small" onClick={() => void exportPerson(p)}>
                  Export {p.name}
                </button>
                {p.id !== props.me.id && props.me.role === 'owner' && (
                  <button type="button" class="secondary small" onClick={() => void resetPassword(p)}>
                    Reset password of {p.name}
                  </button>
                )}
                {p.id !== props.me.id && (
                  <button type="button" class="danger small" onClick={() => (setErasing(p), setTyped(''))}>
                    Erase {p.name}…
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {resetLink && (
        <div class="notice info" role="status">
          <p>
            Send {resetLink.name} this one-time link privately. It works once, within 1 hour, replaces any earlier reset link, and signs{' '}
            {resetLink.name} out everywhere when used: <code class="secret">{resetLink.link}</code>
          </p>
        </div>
      )}
      {erasing && (
        <div class="confirm" role="alertdialog" aria-labelledby="erase-title">
          <form onSubmit={erase}>
            <h2 id="erase-title">Erase {erasing.name}?</h2>
            <p>
              This deletes {erasing.name}'s account, conversations, memories and keys for good. Type <strong>{erasing.name}</strong> to
              confirm.
            </p>
            <Field label={`Type ${erasing.name} to confirm`} name="erase-confirm" value={typed} onInput={setTyped} />
            <button type="submit" class="danger" disabled={typed !== erasing.name}>
              Erase {erasing.name}
            </button>{' '}
            <button type="button" class="secondary" onClick={() => setErasing(null)}>
              Cancel
            </button>
          </form>
        </div>
      )}
      <form onSubmit={invite} aria-labelledby="invite-title">
        <h2 id="invite-title">Invite someone</h2>
        <div class="field">
          <label for="invite-role">Role</label>
          <select id="invite-role" value={inviteRole} onChange={(e) => setInviteRole((e.currentTarget as HTMLSelectElement).value)}>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        </div>
        <button type="submit">Create invite link</button>
        {inviteLink && (
          <p>
            Send this one-time link privately: <code class="secret">{inviteLink}</code>
          </p>
        )}
      </form>
      {props.me.role === 'owner' && (
        <form onSubmit={linkJwt} aria-labelledby="jwt-title">
          <h2 id="jwt-title">Link a sign-in token</h2>
          <p>
            Bearer tokens (JWTs) of your identity provider sign in as a person once their subject is linked here. Only link a subject you
            know is theirs: whoever holds its tokens acts as them.
          </p>
          <div class="field">
            <label for="jwt-person">Person</label>
            <select
              id="jwt-person"
              value={jwt.userId}
              onChange={(e) => setJwt({ ...jwt, userId: (e.currentTarget as HTMLSelectElement).value })}
            >
              <option value="">Choose…</option>
              {listOf<Person>(res.data).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          <Field label="Issuer (HEARTH_JWT_ISSUER)" name="jwt-issuer" value={jwt.issuer} onInput={(v) => setJwt({ ...jwt, issuer: v })} />
          <Field label="Subject (the token's sub)" name="jwt-subject" value={jwt.subject} onInput={(v) => setJwt({ ...jwt, subject: v })} />
          <button type="submit" disabled={!jwt.userId || !jwt.issuer.trim() || !jwt.subject.trim()}>
            Link token subject
          </button>
        </form>
      )}
      <ChannelIdentities me={props.me} people={listOf<Person>(res.data)} />
    </Page>
  );
}
