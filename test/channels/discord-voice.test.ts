import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MESSAGES, type ChannelAdapter } from '../../src/channels/core/index.js';
import { discordInviteUrl } from '../../src/channels/discord/index.js';
import { createOpenAISpeaker, createOpenAITranscriber } from '../../src/voice/engines.js';
import type { SpeechProviders } from '../../src/voice/providers.js';
import { createVoice, type VoicePayer } from '../../src/voice/service.js';
import type { FamiliarRouter } from '../../src/channels/familiars/index.js';
import { AppError } from '../../src/core/index.js';
import { APP_ID, BOT_ID, FakeDiscord } from '../fakes/discord-server.js';
import { FakeDiscordVoice, loudness, opusPackets, SILENCE_FRAME } from '../fakes/discord-voice-server.js';
import { startFakeSpeech, type FakeSpeech } from '../fakes/speech-server.js';
import { tempDir } from '../support/databases.js';
import { spoken, tempLeft } from '../voice/fixtures.js';
import { channelHarness, type ChannelHarness } from './harness.js';
import { discordAdapter } from './discord-harness.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
const ROLE = '600000000000000006';
const GUILD = { id: '100000000000000001', channelId: '100000000000000011', voiceChannelId: '100000000000000099', roleIds: [ROLE] };
const MEMBER = '400000000000000004';
/** In the guild and in the voice channel, but without the required role: not admitted. */
const OUTSIDER = '500000000000000005';
/** A second admitted member. */
const SECOND = '400000000000000044';

const has = (program: string) => spawnSync(program, ['--version'], { stdio: 'ignore' }).error === undefined;
const ESPEAK = has('espeak-ng');
const POCKETSPHINX = has('pocketsphinx_continuous') && existsSync('/usr/share/pocketsphinx/model/en-us/en-us.lm.bin');
if (!ESPEAK) console.warn('discord-voice tests skipped: espeak-ng is missing (apt-get install espeak-ng)');
if (!POCKETSPHINX)
  console.warn('discord-voice offline test skipped: pocketsphinx is missing (apt-get install pocketsphinx pocketsphinx-en-us)');

/** Eight short sentences; the fake speaker answers each with half a second of tone: four seconds of reply. */
const LONG_REPLY = 'One. Two. Three. Four. Five. Six. Seven. Eight.';
const SILENCE_MS = 300;

const until = async <T>(read: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> => {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
    const got = read();
    if (got !== undefined && got !== false) return got;
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe.skipIf(!ESPEAK)('#18 voice: Discord voice channels against a fake voice gateway (CH-5, CH-3)', () => {
  let h: ChannelHarness;
  let fake: FakeDiscord;
  let voiceServer: FakeDiscordVoice;
  let adapter: ChannelAdapter;
  let speechFake: FakeSpeech | undefined;
  let dataDir: string;
  /** Where a moderator moved the bot (the fake main gateway tells the bot; the voice server reads it here). */
  let movedTo: string | undefined;
  /** espeak-ng saying a sentence, as a Discord client sends it. */
  let sentence: Buffer[];

  const start = async (
    providers: SpeechProviders,
    extra: { familiars?: FamiliarRouter; charge?: (payer: VoicePayer, seconds: number) => Promise<void> } = {},
  ) => {
    dataDir = tempDir();
    const limits = { dataDir, maxBytes: 4 * 1024 * 1024, maxSeconds: 30, timeoutMs: 60_000, maxSpeechChars: 2000 };
    const voice = createVoice({ providers, turns: h.turns, audit: h.audit, limits, charge: extra.charge });
    adapter = discordAdapter(h, fake, {
      token: TOKEN,
      guildIds: [GUILD.id],
      requiredRoleId: ROLE,
      voice,
      audit: h.audit,
      voiceEndSilenceMs: SILENCE_MS,
      familiars: extra.familiars,
    });
    await adapter.start();
  };
  const fakeProviders = async () => {
    speechFake = await startFakeSpeech({ transcript: 'what is the weather like today' });
    const engine = { baseUrl: speechFake.url, model: 'fake', timeoutMs: 10_000, maxBytes: 4_000_000 };
    const stt = createOpenAITranscriber(engine);
    const tts = createOpenAISpeaker(engine);
    return { active: async (kind: string) => (kind === 'stt' ? stt : tts) } as unknown as SpeechProviders;
  };
  const transcriptions = () => speechFake?.requests.filter((r) => r.path === '/v1/audio/transcriptions') ?? [];
  /** /join from MEMBER, who sits in the voice channel; resolves once the bot's media session is up. */
  const join = async () => {
    const replies = (c: { method: string; path: string }) => c.method === 'PATCH' && c.path.endsWith('/messages/@original');
    const n = fake.calls.filter(replies).length;
    fake.userVoice({ userId: MEMBER, guildId: GUILD.id, channelId: GUILD.voiceChannelId, roles: [ROLE] });
    fake.slash({ userId: MEMBER, guildId: GUILD.id, channelId: GUILD.channelId, name: 'join', roles: [ROLE] });
    const reply = (await fake.waitFor(replies, n + 1))[n];
    expect(String(reply!.body!.content)).toContain('listening');
    await until(() => voiceServer.mode, 'the session description');
  };

  beforeEach(async () => {
    movedTo = undefined;
    h = await channelHarness('sqlite');
    h.rules.discord = { allowedIds: [], ownerIds: [], pairing: true };
    fake = new FakeDiscord(TOKEN, [GUILD]);
    await fake.listen();
    voiceServer = new FakeDiscordVoice({
      serverId: GUILD.id,
      userId: BOT_ID,
      sessionId: fake.voiceSessionId,
      // the channel the bot asked to join is the DAVE group
      channelId: () => movedTo ?? fake.voiceRequests.findLast((r) => r.channel_id)?.channel_id ?? GUILD.voiceChannelId,
      heartbeatMs: 1_000,
    });
    await voiceServer.listen();
    fake.voiceServer = { endpoint: voiceServer.endpoint, token: voiceServer.token };
    sentence = opusPackets(spoken('what is the weather like today'));
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') {
      console.log(h.logs.text);
      const { resumes, transitions, ignoredCommits, invalid, faults } = voiceServer;
      const ops = voiceServer.received.map((m) => m.op).join(',');
      console.log('voice server:', { ops, resumes, transitions, ignoredCommits, invalid, faults: faults.map(String) });
    }
    await adapter?.stop();
    await voiceServer.close();
    await fake.close();
    await speechFake?.close();
    speechFake = undefined;
    await h.close();
  });

  it('#18 voice: /join and /leave are registered with only GuildVoiceStates more, and the invite asks for Connect and Speak only', async () => {
    await start(await fakeProviders());
    const [reg] = await fake.waitFor((c) => c.method === 'PUT' && c.path === `/applications/${APP_ID}/commands`);
    const names = (reg!.body as unknown as Array<{ name: string; dm_permission?: boolean }>).filter((c) =>
      ['join', 'leave'].includes(c.name),
    );
    expect(names.map((c) => [c.name, c.dm_permission])).toEqual([
      ['join', false],
      ['leave', false],
    ]);
    // Guilds (1) + GuildMessages (1 << 9) + DirectMessages (1 << 12) + GuildVoiceStates (1 << 7): nothing privileged
    expect(fake.intents).toBe(1 + 2 ** 9 + 2 ** 12 + 2 ** 7);
    // 3072 (View Channels, Send Messages) + Connect (1 << 20) + Speak (1 << 21)
    expect(discordInviteUrl(APP_ID, { voice: true })).toContain(`permissions=${3072 + 2 ** 20 + 2 ** 21}`);
    expect(discordInviteUrl(APP_ID)).toContain('permissions=3072');
  });

  it('#18 voice: without the voice concern there is no GuildVoiceStates intent and no /join', async () => {
    adapter = discordAdapter(h, fake, {
      token: TOKEN,
      guildIds: [GUILD.id],
    });
    await adapter.start();
    const [reg] = await fake.waitFor((c) => c.method === 'PUT' && c.path === `/applications/${APP_ID}/commands`);
    expect((reg!.body as unknown as Array<{ name: string }>).map((c) => c.name)).not.toContain('join');
    expect(fake.intents).toBe(1 + 2 ** 9 + 2 ** 12);
  });

  it('#18 voice: joins, hears a speaker, answers as that person, stops within 200 ms when they speak again, and leaves when alone', async () => {
    await start(await fakeProviders());
    h.turns.reply = () => LONG_REPLY;
    await join();
    expect(fake.voiceRequests[0]).toMatchObject({ guild_id: GUILD.id, channel_id: GUILD.voiceChannelId, self_deaf: false });
    // Identify went to the fake with the session from VOICE_STATE_UPDATE/VOICE_SERVER_UPDATE, offering DAVE
    expect(voiceServer.received.find((m) => m.op === 0)?.d).toMatchObject({ max_dave_protocol_version: 1 });
    expect(voiceServer.mode).toBe('aead_aes256_gcm_rtpsize');
    expect(voiceServer.daveVersion).toBe(1);

    await voiceServer.speak(MEMBER, sentence);
    // the speaker joined the bot's MLS group (the bot committed, they were welcomed) and spoke end-to-end encrypted
    expect(voiceServer.e2ee).toBe(true);
    expect(voiceServer.groupMembers.sort()).toEqual([BOT_ID, MEMBER].sort());
    expect(voiceServer.e2eeFramesSent).toBe(sentence.length);
    const request = await until(() => h.turns.requests[0], 'the turn');
    expect(request).toMatchObject({
      channel: 'discord',
      text: 'what is the weather like today',
      conversationKey: `discord:voice:${GUILD.voiceChannelId}`,
    });
    // what was transcribed is the speaker's own audio: a 16 kHz WAV about as long as the sentence
    const [heard] = transcriptions();
    expect(heard!.body.riff).toBe('RIFF');
    const seconds = (Number(heard!.body.fileBytes) - 44) / 32_000;
    expect(seconds).toBeGreaterThan(sentence.length * 0.02 - 0.3);
    expect(seconds).toBeLessThan(sentence.length * 0.02 + 0.5);

    // the reply is spoken: RTP whose frames are DAVE ciphertext, which the speaker's DAVE session decrypts to loud Opus
    await until(() => voiceServer.botPackets.length >= 40, 'the spoken reply');
    const spokenFrames = voiceServer.botPackets.filter((p) => !p.frame.equals(SILENCE_FRAME));
    expect(spokenFrames.every((p) => p.e2ee && p.opus && !p.opus.equals(p.frame))).toBe(true);
    expect(loudness(spokenFrames.map((p) => p.opus!))).toBeGreaterThan(500);

    // barge-in: the speaker talks over the reply (still ~3 s to go); the bot's packets stop within 200 ms
    const speaking = voiceServer.speak(MEMBER, sentence.slice(0, 40));
    const { firstAt, lastAt } = await speaking;
    const late = voiceServer.botPackets.filter((p) => p.at > firstAt + 200 && p.at <= lastAt);
    // it was still speaking right up to then (a packet every 20 ms, sent in pairs by the timer), so the
    // silence after is the barge-in; it may stop before sending one more packet, which is allowed
    expect(firstAt - voiceServer.botPackets.filter((p) => p.at < firstAt).at(-1)!.at).toBeLessThan(150);
    expect(late).toEqual([]);
    // ...and what they said is the next turn
    await until(() => h.turns.requests.length === 2, 'the second turn');
    const cut = voiceServer.botPackets.length;
    await until(() => voiceServer.botPackets.length > cut + 20, 'the second reply spoken');

    await expect.poll(async () => (await h.audit.list({ action: 'voice.turn' })).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    const [entry] = await h.audit.list({ action: 'voice.turn' });
    expect(entry!.details).toMatchObject({ channel: 'discord', stt: 'openai-compatible', tts: 'openai-compatible' });
    expect(Math.max(...(await h.audit.list({ action: 'voice.turn' })).map((e) => Number(e.details!.seconds)))).toBeGreaterThan(1);
    expect(JSON.stringify(entry)).not.toContain('weather'); // never the words, never the audio

    // the last person leaves: so does the bot (Update Voice State with no channel)
    const sentBefore = voiceServer.botPackets.length;
    fake.userVoice({ userId: MEMBER, guildId: GUILD.id, channelId: null });
    await until(() => fake.voiceRequests.find((r) => r.channel_id === null), 'the bot leaving');
    await until(() => voiceServer.closes >= 1, 'the voice gateway closing');
    await new Promise((r) => setTimeout(r, 200));
    const after = voiceServer.botPackets.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(voiceServer.botPackets.length).toBe(after);
    expect(after - sentBefore).toBeLessThan(30);
    expect(tempLeft(dataDir)).toEqual([]);
  }, 60_000);

  it('#18 voice: a speaker who is not admitted is neither transcribed nor able to interrupt; /join needs admission too', async () => {
    await start(await fakeProviders());
    h.turns.reply = () => LONG_REPLY;
    // without the required role /join is refused and the bot never asks to join
    fake.userVoice({ userId: OUTSIDER, guildId: GUILD.id, channelId: GUILD.voiceChannelId, roles: [] });
    fake.slash({ userId: OUTSIDER, guildId: GUILD.id, channelId: GUILD.channelId, name: 'join', roles: [] });
    const [refused] = await fake.waitFor((c) => c.method === 'PATCH' && c.path.endsWith('/messages/@original'));
    expect(String(refused!.body!.content)).toBe(MESSAGES.refused);
    expect(fake.voiceRequests).toEqual([]);

    await join();
    await voiceServer.speak(OUTSIDER, sentence);
    await new Promise((r) => setTimeout(r, SILENCE_MS + 500));
    expect(transcriptions()).toEqual([]);
    expect(h.turns.requests).toEqual([]);
    await expect
      .poll(async () => (await h.audit.list({ action: 'channel.command' })).map((e) => [e.target, e.outcome]))
      .toContainEqual(['voice:missing_role', 'denied']);

    // the member is answered; the outsider talking over the reply does not stop it
    await voiceServer.speak(MEMBER, sentence);
    await until(() => voiceServer.botPackets.length >= 20, 'the spoken reply');
    const { firstAt, lastAt } = await voiceServer.speak(OUTSIDER, sentence.slice(0, 40));
    const during = voiceServer.botPackets.filter((p) => p.at > firstAt + 200 && p.at <= lastAt);
    expect(during.length).toBeGreaterThan(20);
    await new Promise((r) => setTimeout(r, SILENCE_MS + 300));
    expect(transcriptions()).toHaveLength(1);
    expect(h.turns.requests).toHaveLength(1);

    // /leave from an admitted member
    fake.slash({ userId: MEMBER, guildId: GUILD.id, channelId: GUILD.channelId, name: 'leave', roles: [ROLE] });
    await until(() => fake.voiceRequests.find((r) => r.channel_id === null), 'the bot leaving');
  }, 60_000);

  it('#18 voice: the speaker pays for their seconds with the channel’s familiar before transcription; a spent budget is said, not transcribed', async () => {
    const charges: Array<{ payer: VoicePayer; seconds: number }> = [];
    const router = { resolve: async () => 'fam-voice', routesOf: async () => [] } as unknown as FamiliarRouter;
    await start(await fakeProviders(), {
      familiars: router,
      charge: async (payer, seconds) => {
        charges.push({ payer, seconds });
        if (charges.length > 1)
          throw new AppError('BUDGET_EXCEEDED', 'Your voice minutes with this familiar are used up until tomorrow.', {
            reason: 'BUDGET_EXCEEDED',
          });
      },
    });
    h.turns.reply = () => 'Sunny.\n***\nWarm.'; // a line with nothing to say aloud (a markdown rule) is skipped, not the end of the reply
    await join();
    await voiceServer.speak(MEMBER, sentence);
    const request = await until(() => h.turns.requests[0], 'the turn');
    const person = await h.identities.find('discord', MEMBER);
    expect(request).toMatchObject({ familiarId: 'fam-voice', userId: person!.userId });
    expect(charges[0]!.payer).toMatchObject({ userId: person!.userId, familiarId: 'fam-voice', channel: 'discord' });
    expect(charges[0]!.seconds).toBeGreaterThan(1);

    await until(() => speechFake!.requests.some((r) => r.path === '/v1/audio/speech' && r.body.input === 'Warm.'), 'the reply spoken');
    await voiceServer.speak(MEMBER, sentence);
    await until(
      () => speechFake!.requests.find((r) => r.path === '/v1/audio/speech' && String(r.body.input).includes('voice minutes')),
      'the budget message spoken',
    );
    expect(charges).toHaveLength(2);
    expect(transcriptions()).toHaveLength(1);
    expect(h.turns.requests).toHaveLength(1);
  }, 60_000);

  it('#18 voice (DAVE): frames that do not decrypt with the group’s keys are never transcribed; the bot starts over and hears again', async () => {
    await start(await fakeProviders());
    h.turns.reply = () => 'Sunny.';
    fake.userVoice({ userId: SECOND, guildId: GUILD.id, channelId: GUILD.voiceChannelId, roles: [ROLE] });
    await join();
    await voiceServer.connect(SECOND); // a group of three: MEMBER, SECOND and the bot
    // the member is in the MLS group, but every frame is altered after encryption (what an SFU or
    // anyone without the group's keys could send): nothing is decoded, nothing transcribed
    await voiceServer.speak(MEMBER, sentence, { tamper: true });
    expect(voiceServer.e2ee).toBe(true);
    await new Promise((r) => setTimeout(r, SILENCE_MS + 500));
    expect(transcriptions()).toEqual([]);
    expect(h.turns.requests).toEqual([]);
    // @discordjs/voice takes that many failures for a broken group: it flags it (31) with a new key
    // package; it is removed (another member commits) and added again, joining by the Welcome (30)
    // that member's commit produced (once or more: frames still arriving fail again)
    const keyPackages = () => voiceServer.received.filter((m) => m.op === 26).length;
    await until(
      () => voiceServer.invalid.length >= 1 && keyPackages() === 1 + voiceServer.invalid.length && voiceServer.botMember,
      'the bot back in the group',
    );
    await voiceServer.settled();
    expect(voiceServer.welcomesToBot).toBe(voiceServer.invalid.length);
    expect(voiceServer.groupMembers.sort()).toEqual([BOT_ID, MEMBER, SECOND].sort());
    await voiceServer.speak(MEMBER, sentence);
    const request = await until(() => h.turns.requests[0], 'the turn');
    expect(request.text).toBe('what is the weather like today');
    expect(transcriptions()).toHaveLength(1);
    expect(voiceServer.faults).toEqual([]);
  }, 60_000);

  it('#18 voice (DAVE, gateway v8): members join and leave the MLS group, a dropped socket resumes with replay, the last one leaving resets the group', async () => {
    await start(await fakeProviders());
    h.turns.reply = () => 'Sunny.';
    fake.userVoice({ userId: SECOND, guildId: GUILD.id, channelId: GUILD.voiceChannelId, roles: [ROLE] });
    await join();
    await voiceServer.speak(MEMBER, sentence);
    await until(() => h.turns.requests.length === 1, 'the first turn');
    // heartbeats acknowledge the sequence numbers received
    await until(() => voiceServer.heartbeats.find((b) => b.seqAck > 0), 'a heartbeat with seq_ack');
    expect(voiceServer.heartbeats.every((b) => b.seqAck <= b.sent)).toBe(true);

    // a network blip: the socket drops; while the bot reconnects SECOND joins, so clients_connect,
    // the proposal and MEMBER's commit (MEMBER commits first and wins) wait in the server's buffer
    const seqAtDrop = voiceServer.lastSeq;
    voiceServer.dropConnection();
    await voiceServer.connect(SECOND); // resolves once the bot, resumed, processed the commit and the transition ran
    expect(voiceServer.resumes).toEqual([{ seqAck: seqAtDrop, replayed: expect.any(Number) }]);
    expect(voiceServer.resumes[0]!.replayed).toBeGreaterThanOrEqual(3); // 11, 27 (binary), 29 (binary)
    expect(voiceServer.groupMembers.sort()).toEqual([BOT_ID, MEMBER, SECOND].sort());
    expect(voiceServer.ignoredCommits).toEqual([1]); // the bot's own commit for that epoch lost the race
    await voiceServer.speak(SECOND, sentence);
    await until(() => h.turns.requests.length === 2, 'the second member heard');
    expect(h.turns.requests[1]!.userId).toBe((await h.identities.find('discord', SECOND))!.userId); // the turn is SECOND's

    // SECOND leaves: removed from the group (MEMBER commits); MEMBER is still heard in the new epoch
    await voiceServer.disconnect(SECOND);
    expect(voiceServer.groupMembers.sort()).toEqual([BOT_ID, MEMBER].sort());
    await voiceServer.speak(MEMBER, sentence);
    await until(() => h.turns.requests.length === 3, 'the third turn');

    // MEMBER leaves the media session too: the bot alone is told to start a new group and sends a new key package
    const keyPackages = voiceServer.received.filter((m) => m.op === 26).length;
    await voiceServer.disconnect(MEMBER);
    await until(() => voiceServer.received.filter((m) => m.op === 26).length === keyPackages + 1, 'a new key package');
    expect(voiceServer.e2ee).toBe(false);
    expect(voiceServer.invalid).toEqual([]);
    expect(voiceServer.faults).toEqual([]);
  }, 60_000);

  it('#18 voice: /join from another voice channel moves the bot there: a new media session, a new DAVE group, a new conversation', async () => {
    const OTHER = '100000000000000098';
    await start(await fakeProviders());
    h.turns.reply = () => 'Sunny.';
    fake.userVoice({ userId: SECOND, guildId: GUILD.id, channelId: GUILD.voiceChannelId, roles: [ROLE] }); // stays behind
    await join();
    await voiceServer.speak(MEMBER, sentence);
    await until(() => h.turns.requests.length === 1, 'the first turn');

    fake.userVoice({ userId: MEMBER, guildId: GUILD.id, channelId: OTHER, roles: [ROLE] });
    fake.slash({ userId: MEMBER, guildId: GUILD.id, channelId: GUILD.channelId, name: 'join', roles: [ROLE] });
    await until(
      () => voiceServer.identifies === 2 && voiceServer.channelId === OTHER && voiceServer.mode,
      'the media session in the other channel',
    );
    expect(fake.voiceRequests.at(-1)).toMatchObject({ guild_id: GUILD.id, channel_id: OTHER });
    await voiceServer.speak(MEMBER, sentence);
    await until(() => h.turns.requests.length === 2, 'the turn in the other channel');
    expect(h.turns.requests[1]).toMatchObject({ conversationKey: `discord:voice:${OTHER}` });
    expect(voiceServer.groupMembers.sort()).toEqual([BOT_ID, MEMBER].sort()); // the group of the new channel
    expect(voiceServer.faults).toEqual([]);
  }, 60_000);

  it('#18 voice: moved by someone to another voice channel, the bot follows: a new media session and DAVE group, that channel’s conversation', async () => {
    const OTHER = '100000000000000097';
    await start(await fakeProviders());
    h.turns.reply = () => 'Sunny.';
    fake.userVoice({ userId: SECOND, guildId: GUILD.id, channelId: GUILD.voiceChannelId, roles: [ROLE] }); // stays behind
    await join();
    fake.userVoice({ userId: MEMBER, guildId: GUILD.id, channelId: OTHER, roles: [ROLE] });
    movedTo = OTHER;
    fake.moveBot(GUILD.id, OTHER);
    await until(
      () => voiceServer.identifies === 2 && voiceServer.channelId === OTHER && voiceServer.mode,
      'the media session in the other channel',
    );
    await voiceServer.speak(MEMBER, sentence);
    const request = await until(() => h.turns.requests[0], 'the turn in the other channel');
    expect(request).toMatchObject({ conversationKey: `discord:voice:${OTHER}` });
    expect(voiceServer.groupMembers.sort()).toEqual([BOT_ID, MEMBER].sort());
    expect(fake.voiceRequests.filter((r) => r.channel_id === null)).toEqual([]); // it did not leave

    // the last person leaves the new channel: the bot leaves too
    fake.userVoice({ userId: MEMBER, guildId: GUILD.id, channelId: null });
    await until(() => fake.voiceRequests.find((r) => r.channel_id === null), 'the bot leaving');
    expect(voiceServer.faults).toEqual([]);
  }, 60_000);

  it('#18 voice: a speaker missing from the bot’s member cache is looked up and admitted like a text sender, or refused without the role', async () => {
    const UNCACHED = '400000000000000055';
    const UNCACHED_OUTSIDER = '500000000000000066';
    await start(await fakeProviders());
    h.turns.reply = () => 'Sunny.';
    // in the voice channel as far as Discord knows, never announced to the bot
    fake.userVoice({ userId: UNCACHED, guildId: GUILD.id, channelId: GUILD.voiceChannelId, roles: [ROLE], silent: true });
    fake.userVoice({ userId: UNCACHED_OUTSIDER, guildId: GUILD.id, channelId: GUILD.voiceChannelId, roles: [], silent: true });
    await join();
    const lookedUp = (id: string) => fake.calls.some((c) => c.method === 'GET' && c.path === `/guilds/${GUILD.id}/members/${id}`);

    await voiceServer.speak(UNCACHED_OUTSIDER, sentence);
    await new Promise((r) => setTimeout(r, SILENCE_MS + 500));
    expect(lookedUp(UNCACHED_OUTSIDER)).toBe(true);
    expect(transcriptions()).toEqual([]);
    await expect
      .poll(async () =>
        (await h.audit.list({ action: 'channel.command' })).map((e) => [
          JSON.stringify(e.actor).includes(UNCACHED_OUTSIDER),
          e.target,
          e.outcome,
        ]),
      )
      .toContainEqual([true, 'voice:missing_role', 'denied']);

    await voiceServer.speak(UNCACHED, sentence);
    const request = await until(() => h.turns.requests[0], 'the turn');
    expect(lookedUp(UNCACHED)).toBe(true);
    expect(request.userId).toBe((await h.identities.find('discord', UNCACHED))!.userId);
    expect(transcriptions()).toHaveLength(1);
  }, 60_000);

  it.skipIf(!POCKETSPHINX)(
    '#18 voice: with the offline defaults, pocketsphinx hears the speaker and espeak-ng answers into the channel',
    async () => {
      await start({ active: async () => undefined } as unknown as SpeechProviders);
      h.turns.reply = () => 'It is sunny.';
      await join();
      await voiceServer.speak(MEMBER, sentence);
      const request = await until(() => h.turns.requests[0], 'the turn', 60_000);
      expect(
        ['weather', 'like', 'today'].some((w) => request.text.split(' ').includes(w)),
        request.text,
      ).toBe(true);
      await until(() => voiceServer.botPackets.length >= 20, 'the spoken reply', 30_000);
      expect(loudness(voiceServer.botPackets.flatMap((p) => (p.opus ? [p.opus] : [])))).toBeGreaterThan(300);
      await expect
        .poll(async () => (await h.audit.list({ action: 'voice.turn' }))[0]?.details, { timeout: 10_000 })
        .toMatchObject({
          stt: 'offline:pocketsphinx',
          tts: 'offline:espeak-ng',
        });
      expect(tempLeft(dataDir)).toEqual([]);
    },
    90_000,
  );
});
