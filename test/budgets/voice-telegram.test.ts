import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVoiceBudget, type VoiceBudget } from '../../src/budgets/index.js';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { createFamiliarRouter, type FamiliarRouteTables } from '../../src/channels/familiars/index.js';
import { createTelegramAdapter } from '../../src/channels/telegram/index.js';
import type { Familiar } from '../../src/companions/index.js';
import { createVoice } from '../../src/voice/service.js';
import type { SpeechProviders } from '../../src/voice/providers.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { channelHarness, type ChannelHarness } from '../channels/harness.js';
import { tempDir } from '../support/databases.js';
import { ffmpeg, spoken } from '../voice/fixtures.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const FRIEND = { id: 2002, username: 'friend' };
const LUNA = { id: 'f_luna', slug: 'luna', name: 'Luna', allowedUsers: null } as unknown as Familiar;
/** The offline engines; the refusal comes before any of them would run. */
const OFFLINE = { active: async () => undefined } as unknown as SpeechProviders;

describe('#22 budgets: voice minutes on Telegram voice notes', () => {
  let h: ChannelHarness;
  let fake: FakeTelegram;
  let adapter: ChannelAdapter;
  let budget: VoiceBudget;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    h.rules.telegram = { allowedIds: [String(FRIEND.id)], ownerIds: [], pairing: true };
    fake = new FakeTelegram(TOKEN);
    const apiRoot = await fake.listen();
    const db = h.db.storage.db;
    budget = createVoiceBudget({ db: db as never, audit: h.audit, now: () => h.clock.now, roleOf: async () => undefined });
    const limits = { dataDir: tempDir(), maxBytes: 1024 * 1024, maxSeconds: 30, timeoutMs: 60_000, maxSpeechChars: 2000 };
    const voice = createVoice({ providers: OFFLINE, turns: h.turns, audit: h.audit, limits, charge: budget.charge });
    const familiars = createFamiliarRouter({
      db: db.withTables<FamiliarRouteTables>(),
      familiars: { list: async () => [LUNA], get: async () => LUNA, canUse: () => true },
      env: [],
      fallback: async () => LUNA.id,
      audit: h.audit,
      now: () => h.clock.now,
    });
    adapter = createTelegramAdapter({ token: TOKEN, hub: h.hub, logger: h.logger, scrubber: h.scrubber, apiRoot, voice, familiars });
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await h.close();
  });

  it('#22 budgets: a spent voice budget answers the same short message in the chat; nothing is transcribed or turned', async () => {
    await budget.set({ kind: 'familiar', familiarId: LUNA.id }, { minutesPerDay: 0, minutesPerMonth: null }, { type: 'system' });
    fake.userSendsVoice(FRIEND, ffmpeg(spoken('hello there'), ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg']));
    const [reply] = await fake.messagesTo(FRIEND.id, 1, 60_000);
    expect(reply?.text).toMatch(/^This familiar’s daily voice budget is spent; it resets at \d{4}-\d{2}-\d{2} 00:00 UTC\.$/);
    expect(h.turns.requests).toHaveLength(0);
    const [refusal] = await h.audit.list({ action: 'budget.refused' });
    expect(refusal).toMatchObject({ target: LUNA.id, details: { scope: 'familiar', dimension: 'voiceSeconds', channel: 'telegram' } });
  }, 90_000);
});
