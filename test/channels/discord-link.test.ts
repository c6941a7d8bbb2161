import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { FakeDiscord } from '../fakes/discord-server.js';
import { channelHarness, type ChannelHarness } from './harness.js';
import { discordAdapter } from './discord-harness.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
const GUILD = { id: '100000000000000001', channelId: '100000000000000011', roleIds: [] };
const PERSON = '400000000000000004';
const DM = '900000000000000009';

/** Discord's `/link` slash command, with discord.js against the fake gateway and REST API (#15, CH-3). */
describe('#15 identity: /link on Discord', () => {
  let h: ChannelHarness;
  let fake: FakeDiscord;
  let adapter: ChannelAdapter;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    h.rules.discord = { allowedIds: [], ownerIds: [], pairing: true };
    h.accounts.set('u-mia', { id: 'u-mia', name: 'mia' });
    fake = new FakeDiscord(TOKEN, [GUILD]);
    await fake.listen();
    adapter = discordAdapter(h, fake, {
      token: TOKEN,
      guildIds: [GUILD.id],
    });
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await h.close();
  });

  const edits = (n: number) => fake.waitFor((c) => c.method === 'PATCH' && c.path.endsWith('/messages/@original'), n);

  it('#15 identity: a stranger in a DM sends /link with a code from the web and speaks as that person; the reply is ephemeral', async () => {
    const { code } = await h.hub.linking.issueWebCode('u-mia');
    fake.slash({ userId: PERSON, channelId: DM, name: 'link', options: [{ name: 'code', value: code }] });
    const [callback] = await fake.waitFor((c) => c.path.endsWith('/callback'));
    expect(callback!.body).toMatchObject({ type: 5, data: { flags: 64 } });
    const [edit] = await edits(1);
    expect(edit!.body!.content).toContain('speak as mia');
    expect(await h.hub.admit({ channel: 'discord', externalId: PERSON })).toMatchObject({ kind: 'allowed', userId: 'u-mia' });

    // The same code again, from anyone: refused.
    fake.slash({ userId: '700000000000000007', channelId: DM, name: 'link', options: [{ name: 'code', value: code }] });
    expect(String((await edits(2))[1]!.body!.content)).toContain('not valid or has expired');
    expect((await h.identities.find('discord', '700000000000000007'))?.userId).toBeUndefined();
  });

  it('#15 identity: /link without a code answers a code for the web, privately, in a server channel too', async () => {
    fake.slash({ userId: PERSON, guildId: GUILD.id, channelId: GUILD.channelId, name: 'link' });
    const [edit] = await edits(1);
    const code = /Chat accounts: ([A-Z0-9]{10})/.exec(String(edit!.body!.content))?.[1];
    expect(code).toBeDefined();
    expect(await h.hub.linking.claim('u-mia', code!)).toMatchObject({ kind: 'ok', userId: 'u-mia' });
    expect((await h.identities.find('discord', PERSON))?.userId).toBe('u-mia');
  });
});
