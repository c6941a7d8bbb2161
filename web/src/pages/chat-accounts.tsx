import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { Field, Notice, useResource, when } from '../ui.js';

interface Identity {
  channel: string;
  externalId: string;
  displayName: string | null;
  createdAt?: number;
}

interface Preview {
  channel: string;
  externalId: string;
  displayName: string | null;
  linkedToYou: boolean;
}

const platform = (channel: string) => channel.charAt(0).toUpperCase() + channel.slice(1);
const label = (i: { channel: string; externalId: string; displayName: string | null }) =>
  `${platform(i.channel)} ${i.displayName ? `${i.displayName} (${i.externalId})` : i.externalId}`;

/**
 * The person's own chat accounts (#15): linking one needs both sides. Either make a code here and
 * send `/link CODE` to the bot, or send `/link` to the bot and enter its code here, then confirm
 * which account it is. Every link can be removed here.
 */
export function ChatAccounts(): JSX.Element {
  const linked = useResource<{ identities?: Identity[] }>('/api/channels/links');
  const [issued, setIssued] = useState<{ command: string; expiresAt: number } | null>(null);
  const [code, setCode] = useState('');
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);

  const run = async (work: () => Promise<void>) => {
    setError(null);
    setInfo(null);
    try {
      await work();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const makeCode = () => run(async () => setIssued(await api<{ command: string; expiresAt: number }>('POST', '/api/channels/links/code')));
  const check = (e: Event) => {
    e.preventDefault();
    return run(async () => setPreview(await api<Preview>('POST', '/api/channels/links/preview', { code: code.trim() })));
  };
  const confirm = () =>
    run(async () => {
      await api('POST', '/api/channels/links/claim', { code: code.trim() });
      setInfo(`${preview ? label(preview) : 'The chat account'} now speaks as you.`);
      setPreview(null);
      setCode('');
      linked.reload();
    });
  const unlink = (i: Identity) =>
    run(async () => {
      await api('DELETE', `/api/channels/links/${encodeURIComponent(i.channel)}/${encodeURIComponent(i.externalId)}`);
      setInfo(`${label(i)} is no longer linked to you.`);
      linked.reload();
    });

  const identities = listOf<Identity>(linked.data?.identities);
  return (
    <section aria-labelledby="chat-accounts-title">
      <h2 id="chat-accounts-title">Chat accounts</h2>
      <p>Linked chat accounts (Telegram, Discord) speak as you: the familiar remembers you there as here.</p>
      {identities.length > 0 ? (
        <ul>
          {identities.map((i) => (
            <li key={`${i.channel}:${i.externalId}`}>
              {label(i)} {i.createdAt ? <small>since {when(i.createdAt)}</small> : null}{' '}
              <button type="button" class="secondary small" onClick={() => void unlink(i)}>
                Unlink {label(i)}
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p>No chat account is linked to you.</p>
      )}
      <h3>Link from the chat app</h3>
      <button type="button" class="secondary" onClick={() => void makeCode()}>
        Get a link code
      </button>
      {issued && (
        <p>
          Send <code class="secret">{issued.command}</code> to the bot from your own chat account before {when(issued.expiresAt)}. It works
          once. Never give it to anyone: whoever sends it speaks as you.
        </p>
      )}
      <h3>Link with a code from the chat app</h3>
      <form onSubmit={check}>
        <Field label="Code from the bot (send it /link to get one)" name="link-code" value={code} onInput={setCode} autocomplete="off" />
        <button type="submit" class="secondary">
          Check code
        </button>
      </form>
      {preview && (
        <div class="confirm" role="alertdialog" aria-labelledby="link-confirm-title">
          <h3 id="link-confirm-title">Link {label(preview)}?</h3>
          <p>
            {preview.linkedToYou
              ? 'This account is already linked to you.'
              : 'From now on it speaks as you and sees what the familiar remembers about you. Confirm only if it is your own account.'}
          </p>
          <button type="button" onClick={() => void confirm()}>
            Link {label(preview)}
          </button>{' '}
          <button type="button" class="secondary" onClick={() => setPreview(null)}>
            Cancel
          </button>
        </div>
      )}
      <Notice error={error ?? linked.error} info={info} />
    </section>
  );
}
