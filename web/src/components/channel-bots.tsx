import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { Field, Notice, useResource } from '../ui.js';

interface Choice {
  id: string;
  name: string;
}
/** GET /api/channels/twitch/channels. */
interface TwitchChannel {
  broadcasterId: string;
  familiarId: string;
  prefix: string;
  source: 'stored' | 'env';
}
/** GET /api/channels/telegram/bots: never the token. */
interface TelegramBot {
  familiarId: string;
  botId: string;
  username: string | null;
  running: boolean;
}

function FamiliarSelect(props: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  familiars: Choice[];
}): JSX.Element {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}>
        <option value="">Choose…</option>
        {props.familiars.map((f) => (
          <option key={f.id} value={f.id}>
            {f.name}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The Twitch channels the bot joins, each answered by its familiar on its own command (issue #22). */
export function TwitchChannels(props: { familiars: Choice[] }): JSX.Element {
  const res = useResource<{ channels: TwitchChannel[] }>('/api/channels/twitch/channels');
  const [broadcasterId, setBroadcasterId] = useState('');
  const [prefix, setPrefix] = useState('');
  const [familiarId, setFamiliarId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const name = (id: string) => props.familiars.find((f) => f.id === id)?.name ?? id;
  const send = async (body: Record<string, unknown>, done: string) => {
    setError(null);
    setInfo(null);
    try {
      await api('PUT', '/api/channels/twitch/channels', body);
      setInfo(done);
      res.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const onSubmit = (e: Event) => {
    e.preventDefault();
    if (!/^\d{1,20}$/.test(broadcasterId.trim())) return setError('The channel is its broadcaster’s Twitch user id (digits).');
    if (!/^![a-z0-9_]{1,30}$/i.test(prefix.trim())) return setError('The command is ! and 1–30 letters, digits or _ (e.g. !luna).');
    if (!familiarId) return setError('Choose a familiar.');
    void send(
      { broadcasterId: broadcasterId.trim(), familiarId, prefix: prefix.trim() },
      `${name(familiarId)} answers ${prefix.trim().toLowerCase()} in Twitch channel ${broadcasterId.trim()}.`,
    );
  };
  return (
    <section aria-labelledby="twitch-title">
      <h2 id="twitch-title">Twitch channels</h2>
      <p>
        The bot joins each channel; there its familiar answers its own command (and <code>!ask</code>), and nobody else’s. Moderators and
        the broadcaster count only in their own channel. <code>HEARTH_TWITCH_CHANNELS</code> adds channels too.
      </p>
      <Notice error={error ?? res.error} info={info} />
      {res.data && res.data.channels.length === 0 && <p>No Twitch channels besides HEARTH_TWITCH_BROADCASTER_ID.</p>}
      {res.data && res.data.channels.length > 0 && (
        <table tabIndex={0} aria-label="Twitch channels">
          <thead>
            <tr>
              <th scope="col">Channel (broadcaster id)</th>
              <th scope="col">Command</th>
              <th scope="col">Familiar</th>
              <th scope="col">Set by</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {res.data.channels.map((c) => (
              <tr key={c.broadcasterId}>
                <td>{c.broadcasterId}</td>
                <td>{c.prefix}</td>
                <td>{name(c.familiarId)}</td>
                <td>{c.source === 'env' ? 'environment' : 'dashboard'}</td>
                <td class="actions">
                  {c.source === 'stored' && (
                    <button
                      type="button"
                      class="danger small"
                      onClick={() =>
                        void send({ broadcasterId: c.broadcasterId, familiarId: null }, `Left Twitch channel ${c.broadcasterId}.`)
                      }
                    >
                      Leave Twitch channel {c.broadcasterId}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="route-form" onSubmit={onSubmit}>
        <Field label="Broadcaster id" name="twitch-broadcaster" value={broadcasterId} onInput={setBroadcasterId} max={20} />
        <Field label="Command" name="twitch-prefix" value={prefix} onInput={setPrefix} max={31} placeholder="!luna" />
        <FamiliarSelect
          id="twitch-familiar"
          label="Familiar of the channel"
          value={familiarId}
          onChange={setFamiliarId}
          familiars={props.familiars}
        />
        <button type="submit">Join</button>
      </form>
    </section>
  );
}

/** A familiar's own Telegram bot: the token goes in once and is never shown again (issue #22). */
export function TelegramBots(props: { familiars: Choice[] }): JSX.Element {
  const res = useResource<{ bots: TelegramBot[] }>('/api/channels/telegram/bots');
  const [familiarId, setFamiliarId] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const name = (id: string) => props.familiars.find((f) => f.id === id)?.name ?? id;
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setInfo(null);
    if (!familiarId) return setError('Choose a familiar.');
    if (!token.trim()) return setError('Paste the bot token from @BotFather.');
    setBusy(true);
    try {
      const { bot } = await api<{ bot: TelegramBot }>('PUT', `/api/channels/telegram/bots/${encodeURIComponent(familiarId)}`, {
        token: token.trim(),
      });
      setToken('');
      setInfo(`${name(familiarId)} now has its own bot${bot.username ? ` @${bot.username}` : ''}.`);
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (b: TelegramBot) => {
    setError(null);
    setInfo(null);
    try {
      await api('DELETE', `/api/channels/telegram/bots/${encodeURIComponent(b.familiarId)}`);
      setInfo(`${name(b.familiarId)}’s bot is stopped and its token forgotten.`);
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return (
    <section aria-labelledby="telegram-bots-title">
      <h2 id="telegram-bots-title">Telegram bots per familiar</h2>
      <p>
        A familiar’s own bot always answers as that familiar, with the main bot’s allowlist, pairing and limits. The token is checked with
        Telegram, sealed in the vault and never shown again; the bot starts at once.
      </p>
      <Notice error={error ?? res.error} info={info} />
      {res.data && res.data.bots.length > 0 && (
        <table tabIndex={0} aria-label="Telegram bots per familiar">
          <thead>
            <tr>
              <th scope="col">Familiar</th>
              <th scope="col">Bot</th>
              <th scope="col">State</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {res.data.bots.map((b) => (
              <tr key={b.familiarId}>
                <td>{name(b.familiarId)}</td>
                <td>{b.username ? `@${b.username}` : b.botId}</td>
                <td>{b.running ? 'running' : 'starting or stopped'}</td>
                <td class="actions">
                  <button type="button" class="danger small" onClick={() => void remove(b)}>
                    Remove {name(b.familiarId)}’s bot
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="route-form" onSubmit={(e) => void onSubmit(e)}>
        <FamiliarSelect
          id="telegram-bot-familiar"
          label="Familiar of the bot"
          value={familiarId}
          onChange={setFamiliarId}
          familiars={props.familiars}
        />
        <Field label="Bot token" name="telegram-bot-token" type="password" autocomplete="off" value={token} onInput={setToken} max={200} />
        <button type="submit" disabled={busy}>
          Add bot
        </button>
      </form>
    </section>
  );
}
