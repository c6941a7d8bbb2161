import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import type { Me } from '../session.js';
import { Field, Notice, useResource } from '../ui.js';

interface Identity {
  channel: string;
  externalId: string;
  userId: string;
  displayName: string | null;
}

const CHANNELS = ['telegram', 'discord', 'twitch'];

/**
 * Chat accounts and whom they speak as (#15). Admins admit a chat account Hearth does not know
 * yet as a new channel person; only the owner attaches one to an existing person (audited with
 * both). People link their own accounts on their Account page, which needs no one else.
 */
export function ChannelIdentities(props: { me: Me; people: ReadonlyArray<{ id: string; name: string }> }): JSX.Element {
  const res = useResource<{ identities?: Identity[] }>('/api/channels/identities');
  const [channel, setChannel] = useState('telegram');
  const [externalId, setExternalId] = useState('');
  const [userId, setUserId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const owner = props.me.role === 'owner';
  const nameOf = (id: string) => props.people.find((p) => p.id === id)?.name ?? (id.startsWith('person_') ? 'channel person' : id);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setInfo(null);
    try {
      await api('POST', '/api/channels/identities', { channel, externalId: externalId.trim(), ...(userId ? { userId } : {}) });
      setInfo(`${channel} ${externalId.trim()} now speaks as ${userId ? nameOf(userId) : 'a new channel person'}.`);
      setExternalId('');
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <section aria-labelledby="identities-title">
      <h2 id="identities-title">Chat accounts</h2>
      <table tabIndex={0}>
        <thead>
          <tr>
            <th scope="col">Chat account</th>
            <th scope="col">Speaks as</th>
          </tr>
        </thead>
        <tbody>
          {listOf<Identity>(res.data?.identities).map((i) => (
            <tr key={`${i.channel}:${i.externalId}`}>
              <td>
                {i.channel} {i.displayName ? `${i.displayName} (${i.externalId})` : i.externalId}
              </td>
              <td>{nameOf(i.userId)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={submit} aria-labelledby="admit-title">
        <h3 id="admit-title">{owner ? 'Admit or attach a chat account' : 'Admit a chat account as a new person'}</h3>
        <div class="field">
          <label for="identity-channel">Channel</label>
          <select id="identity-channel" value={channel} onChange={(e) => setChannel((e.currentTarget as HTMLSelectElement).value)}>
            {CHANNELS.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </div>
        <Field label="Account id on that channel" name="identity-external-id" value={externalId} onInput={setExternalId} required />
        {owner && (
          <div class="field">
            <label for="identity-person">Speaks as</label>
            <select id="identity-person" value={userId} onChange={(e) => setUserId((e.currentTarget as HTMLSelectElement).value)}>
              <option value="">a new channel person</option>
              {props.people.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
        )}
        <p>People link their own chat accounts on their Account page; that needs nobody's approval.</p>
        <button type="submit">{owner && userId ? 'Attach' : 'Admit'}</button>
      </form>
      <Notice error={error ?? res.error} info={info} />
    </section>
  );
}
