import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { personCommandsOver } from '../../src/channels/index.js';
import { createMemoryRepository } from '../../src/memory/index.js';
import { FakeDiscord } from '../fakes/discord-server.js';
import { channelHarness, type ChannelHarness } from '../channels/harness.js';
import { discordAdapter } from '../channels/discord-harness.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
const ROLE = '600000000000000006';
const GUILD = { id: '100000000000000001', channelId: '100000000000000011', roleIds: [ROLE] };
const MEMBER = '400000000000000004';

describe('Discord /remember and /forget are audited like every memory write (issue #15.5, LOG-3)', () => {
  let h: ChannelHarness;
  let fake: FakeDiscord;
  let adapter: ChannelAdapter;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    h.rules.discord = { allowedIds: [], ownerIds: [], pairing: true };
    fake = new FakeDiscord(TOKEN, [GUILD]);
    await fake.listen();
    adapter = discordAdapter(h, fake, {
      token: TOKEN,
      guildIds: [GUILD.id],
      requiredRoleId: ROLE,
      personCommands: personCommandsOver(createMemoryRepository({ storage: h.db.storage }), async () => 'fam1', h.audit),
    });
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await h.close();
  });

  it('#15.5 memory audit: /remember records memory.write and /forget one memory.delete per memory, by the channel person, without text', async () => {
    const edits = () => fake.calls.filter((c) => c.method === 'PATCH').length;
    const slash = (name: string, text?: string) =>
      fake.slash({
        userId: MEMBER,
        guildId: GUILD.id,
        channelId: GUILD.channelId,
        name,
        roles: [ROLE],
        ...(text ? { options: [{ name: 'text', value: text }] } : {}),
      });
    slash('remember', 'I keep bees named zanzibarqwerty');
    await expect.poll(edits).toBe(1);
    slash('remember', 'my second secret is yodelplum');
    await expect.poll(edits).toBe(2);
    slash('forget');
    await expect.poll(edits).toBe(3);

    const person = (await h.identities.find('discord', MEMBER))!.userId;
    const actor = { type: 'channel', channel: 'discord', externalId: MEMBER, userId: person };
    const writes = await h.audit.list({ action: 'memory.write' });
    expect(writes).toHaveLength(2);
    for (const w of writes) expect(w).toMatchObject({ actor, outcome: 'success', details: { source: 'discord' } });
    expect(writes.map((w) => w.details!.length).sort()).toEqual(
      ['I keep bees named zanzibarqwerty'.length, 'my second secret is yodelplum'.length].sort(),
    );
    const deletes = await h.audit.list({ action: 'memory.delete' });
    expect(deletes).toHaveLength(2);
    for (const d of deletes) expect(d).toMatchObject({ actor, outcome: 'success', details: { source: 'discord' } });
    expect(new Set(deletes.map((d) => d.target))).toEqual(new Set(writes.map((w) => w.target)));
    const all = JSON.stringify(await h.audit.list({}));
    expect(all).not.toContain('zanzibarqwerty');
    expect(all).not.toContain('yodelplum');
  });
});
