import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { createTelegramAdapter } from '../../src/channels/telegram/index.js';
import { createVoice } from '../../src/voice/service.js';
import type { SpeechProviders } from '../../src/voice/providers.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { channelHarness, type ChannelHarness } from '../channels/harness.js';
import { tempDir } from '../support/databases.js';
import { ffmpeg, spoken, tempLeft } from './fixtures.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const FRIEND = { id: 2002, username: 'friend' };
const STRANGER = { id: 3003, username: 'stranger' };
const KEY_WORDS = ['weather', 'like', 'today'];
/** No speech provider configured: the offline defaults (pocketsphinx, espeak-ng, ffmpeg). */
const OFFLINE = { active: async () => undefined } as unknown as SpeechProviders;

const until = async <T>(read: () => T | undefined, timeoutMs = 30_000): Promise<T> => {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 25))) {
    const got = read();
    if (got !== undefined) return got;
  }
  throw new Error('timed out');
};

describe('#18 voice: Telegram voice notes (CH-5, CH-2)', () => {
  let h: ChannelHarness;
  let fake: FakeTelegram;
  let adapter: ChannelAdapter;
  let dataDir: string;

  beforeEach(async () => {
    h = await channelHarness('sqlite', { person: 3 });
    h.rules.telegram = { allowedIds: [String(FRIEND.id)], ownerIds: [], pairing: true };
    fake = new FakeTelegram(TOKEN);
    const apiRoot = await fake.listen();
    dataDir = tempDir();
    const limits = { dataDir, maxBytes: 1024 * 1024, maxSeconds: 30, timeoutMs: 60_000, maxSpeechChars: 2000 };
    const voice = createVoice({ providers: OFFLINE, turns: h.turns, audit: h.audit, limits });
    adapter = createTelegramAdapter({ token: TOKEN, hub: h.hub, logger: h.logger, scrubber: h.scrubber, apiRoot, voice });
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await h.close();
  });

  it('#18 voice: a voice note is transcribed, runs as the person’s turn, and is answered as text and as an OGG/Opus voice note', async () => {
    h.turns.reply = () => 'It is sunny and warm.';
    fake.userSendsVoice(FRIEND, ffmpeg(spoken('what is the weather like today'), ['-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg']));
    const [text] = await fake.messagesTo(FRIEND.id, 1, 60_000);
    expect(text?.text).toBe('It is sunny and warm.');
    const request = h.turns.requests[0]!;
    expect(request).toMatchObject({ channel: 'telegram', conversationKey: `telegram:chat:${FRIEND.id}` });
    expect(
      KEY_WORDS.some((w) => request.text.split(' ').includes(w)),
      request.text,
    ).toBe(true);
    const note = await until(() => fake.calls.find((c) => c.method === 'sendVoice'));
    expect(note.chat_id).toBe(String(FRIEND.id));
    expect(note.voice!.subarray(0, 4).toString('ascii')).toBe('OggS');
    expect(note.voice!.includes(Buffer.from('OpusHead'))).toBe(true);
    expect(tempLeft(dataDir)).toEqual([]);
  }, 90_000);

  it('#18 voice: a stranger’s voice note is neither downloaded nor transcribed; they get the pairing reply', async () => {
    fake.userSendsVoice(STRANGER, ffmpeg(spoken('hello'), ['-c:a', 'libopus', '-f', 'ogg']));
    const [reply] = await fake.messagesTo(STRANGER.id, 1);
    expect(reply?.text).toMatch(/code: [A-Z0-9]{8}/);
    expect(h.turns.requests).toHaveLength(0);
    expect(fake.calls.some((c) => c.method === 'sendVoice')).toBe(false);
  });

  it('#18 voice: a note that is not audio, or too large, gets a short reply and no turn', async () => {
    fake.userSendsVoice(FRIEND, Buffer.from('this is not audio at all'));
    const [bad] = await fake.messagesTo(FRIEND.id, 1);
    expect(bad?.text).toBe('I could not play that voice note.');
    fake.userSendsVoice(FRIEND, Buffer.alloc(100), { fileSize: 50 * 1024 * 1024 });
    const [, big] = await fake.messagesTo(FRIEND.id, 2);
    expect(big?.text).toContain('too long');
    expect(h.turns.requests).toHaveLength(0);
    expect(tempLeft(dataDir)).toEqual([]);
  });
});
