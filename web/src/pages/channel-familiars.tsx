import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { TelegramBots, TwitchChannels } from '../components/channel-bots.js';
import { Field, Notice, NotYet, Page, useResource } from '../ui.js';
import './usage.css';

/** GET /api/channels/familiars (issue #22). */
interface Route {
  channel: 'telegram' | 'discord' | 'twitch';
  place: string;
  familiarId: string;
  source: 'stored' | 'env';
}
interface Choice {
  id: string;
  slug: string;
  name: string;
}
interface Answer {
  routes: Route[];
  familiars: Choice[];
  defaults: Array<{ channel: Route['channel']; familiarId: string | null }>;
}

const CHANNELS = ['telegram', 'discord', 'twitch'] as const;
/** The places each platform has, as the adapters ask for them (docs/channels.md). */
const KINDS: Record<Route['channel'], Array<[string, string]>> = {
  telegram: [
    ['default', 'Default (every chat)'],
    ['chat', 'One chat (chat id)'],
  ],
  discord: [
    ['default', 'Default (everywhere)'],
    ['guild', 'A server (guild id)'],
    ['channel', 'A channel (channel id)'],
    ['role', 'Mentioned by a role (role id)'],
    ['dm', 'A person’s DMs (user id)'],
  ],
  twitch: [
    ['default', 'Default (!ask)'],
    ['broadcaster', 'A Twitch channel (broadcaster id)'],
    ['prefix', 'Its own command (e.g. !sol)'],
  ],
};

/** Says a place in words. */
function placeText(route: Pick<Route, 'channel' | 'place'>): string {
  if (route.place === 'default') return 'everywhere else';
  const [kind, ...rest] = route.place.split(':');
  const id = rest.join(':');
  const words: Record<string, string> = {
    chat: 'chat',
    guild: 'server',
    channel: 'channel',
    role: 'when its role is mentioned:',
    dm: 'DMs of user',
    broadcaster: 'Twitch channel',
    prefix: 'command',
  };
  return `${words[kind!] ?? kind} ${id}`;
}

/** `/channel-familiars` (admins): which familiar answers where on Telegram, Discord and Twitch, and changing it. */
export function ChannelFamiliarsPage(): JSX.Element {
  const res = useResource<Answer>('/api/channels/familiars');
  const [channel, setChannel] = useState<Route['channel']>('discord');
  const [kind, setKind] = useState('guild');
  const [id, setId] = useState('');
  const [familiarId, setFamiliarId] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  if (res.missing)
    return (
      <Page title="Channel familiars">
        <NotYet what="This server does not route familiars per channel yet." />
      </Page>
    );
  const data = res.data;
  const name = (fid: string | null) => data?.familiars.find((f) => f.id === fid)?.name ?? fid ?? '—';
  const save = async (place: string, to: string | null, done: string) => {
    setError(null);
    setInfo(null);
    try {
      await api('PUT', '/api/channels/familiars', { channel, place, familiarId: to });
      setInfo(done);
      res.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const remove = async (r: Route) => {
    setChannel(r.channel);
    setError(null);
    try {
      await api('PUT', '/api/channels/familiars', { channel: r.channel, place: r.place, familiarId: null });
      setInfo(`Removed ${r.channel} ${placeText(r)}.`);
      res.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const onSubmit = (e: Event) => {
    e.preventDefault();
    const place = kind === 'default' ? 'default' : `${kind}:${id.trim()}`;
    if (kind !== 'default' && !id.trim()) return setError('Enter the id (or the command, for a Twitch prefix).');
    if (!familiarId) return setError('Choose a familiar.');
    void save(place, familiarId, `${name(familiarId)} now answers on ${channel}, ${placeText({ channel, place })}.`);
  };
  return (
    <Page title="Channel familiars">
      <p>
        Which familiar answers where on the chat channels. The most specific place wins (a Discord role or name mentioned, then the channel,
        then the server; a Telegram chat’s own choice with <code>/familiar</code>); otherwise the channel’s default. Routes from{' '}
        <code>HEARTH_CHANNEL_FAMILIARS</code> are shown as “environment”; one set here for the same place replaces it.
      </p>
      <Notice error={error ?? res.error} info={info} />
      {data && (
        <>
          <h2>Defaults</h2>
          <ul>
            {data.defaults.map((d) => (
              <li key={d.channel}>
                {d.channel}: <strong>{name(d.familiarId)}</strong>
              </li>
            ))}
          </ul>
          <h2>Routes</h2>
          {data.routes.length === 0 ? (
            <p>No routes: the default answers everywhere.</p>
          ) : (
            <table tabIndex={0}>
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col">Where</th>
                  <th scope="col">Familiar</th>
                  <th scope="col">Set by</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.routes.map((r) => (
                  <tr key={`${r.channel}-${r.place}-${r.source}`}>
                    <td>{r.channel}</td>
                    <td>{placeText(r)}</td>
                    <td>{name(r.familiarId)}</td>
                    <td>{r.source === 'env' ? 'environment' : 'dashboard or chat'}</td>
                    <td class="actions">
                      {r.source === 'stored' && (
                        <button type="button" class="danger small" onClick={() => void remove(r)}>
                          Remove {r.channel} {placeText(r)}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>Set a familiar</h2>
          <form class="route-form" onSubmit={onSubmit}>
            <div class="field">
              <label for="route-channel">Channel</label>
              <select
                id="route-channel"
                value={channel}
                onChange={(e) => {
                  const c = (e.currentTarget as HTMLSelectElement).value as Route['channel'];
                  setChannel(c);
                  setKind(KINDS[c][0]![0]);
                }}
              >
                {CHANNELS.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="route-kind">Where</label>
              <select id="route-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value)}>
                {KINDS[channel].map(([k, label]) => (
                  <option key={k} value={k}>
                    {label}
                  </option>
                ))}
              </select>
            </div>
            {kind !== 'default' && (
              <Field label={kind === 'prefix' ? 'Command (with !)' : 'Id'} name="route-id" value={id} onInput={setId} max={100} />
            )}
            <div class="field">
              <label for="route-familiar">Familiar</label>
              <select id="route-familiar" value={familiarId} onChange={(e) => setFamiliarId((e.currentTarget as HTMLSelectElement).value)}>
                <option value="">Choose…</option>
                {data.familiars.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit">Save</button>
          </form>
          <TwitchChannels familiars={data.familiars} />
          <TelegramBots familiars={data.familiars} />
        </>
      )}
    </Page>
  );
}
