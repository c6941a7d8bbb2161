import {
  createAudioPlayer,
  createAudioResource,
  EndBehaviorType,
  entersState,
  joinVoiceChannel,
  AudioPlayerStatus,
  NoSubscriberBehavior,
  StreamType,
  VoiceConnectionStatus,
  type AudioPlayer,
  type AudioResource,
  type DiscordGatewayAdapterCreator,
  type VoiceConnection,
} from '@discordjs/voice';
import type { ChatInputCommandInteraction, Client, Guild, VoiceState } from 'discord.js';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../logging/index.js';
import type { AuditLog } from '../../security/audit/index.js';
import type { ChannelHub, ChannelSender, SecretScrubber } from '../core/index.js';
import { createSentenceSplitter, parsePcmWav, pcmToWav } from '../../voice/index.js';
import { HEARD_RATE, toDiscordPcm } from './voice-audio.js';
import { createOpusDecoder, opusStream } from './voice-opus.js';

/** What Discord voice needs of the voice concern (CH-5): the same transcription and speech every channel uses. */
export interface DiscordSpeech {
  /** Hard cap on one recording handed over, in bytes (the voice service's own limit). */
  readonly maxBytes: number;
  transcribe(
    wav: Buffer,
    payer?: { readonly userId: string; readonly familiarId: string; readonly channel: string },
  ): Promise<{ readonly text: string; readonly seconds?: number; readonly provider?: string }>;
  speak(text: string, format: 'wav'): Promise<{ readonly audio: Buffer; readonly provider?: string }>;
}

export interface DiscordVoiceOptions {
  readonly client: Client;
  readonly hub: ChannelHub;
  readonly speech: DiscordSpeech;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  /** Voice turns are audited as `voice.turn` (seconds and engines, never audio or words); absent: not audited here. */
  readonly audit?: AuditLog | undefined;
  readonly guildAllowed: (guildId: string) => boolean;
  readonly roleOk: (roles: readonly string[], guildId: string) => boolean;
  /** The familiar for these places (issue #22); absent: the channel's one familiar. */
  readonly familiar?: ((places: readonly string[], userId: string) => Promise<string>) | undefined;
  /** Silence after speech that ends a turn (ms). */
  readonly endSilenceMs?: number | undefined;
}

export const VOICE_COMMAND_NAMES = new Set(['join', 'leave']);

/** Shorter than this is a cough or a click, not a turn. */
const MIN_TURN_MS = 250;
/** The longest stretch of one person's speech kept for one turn. */
const MAX_TURN_SECONDS = 60;
/** Characters of one reply spoken at most (the voice service cuts each sentence too). */
const MAX_SPOKEN_CHARS = 2000;
const JOIN_TIMEOUT_MS = 15_000;

interface Speaker {
  /** Decided at each start of speech from what Discord last said of them (a role taken away counts at once). */
  admitted: boolean;
  /** The Hearth person, once the hub has admitted them in this session. */
  userId?: string;
  refusalAudited?: boolean;
}

interface Session {
  readonly guildId: string;
  /** Where it sits now (it follows a move). */
  channelId: string;
  readonly connection: VoiceConnection;
  readonly player: AudioPlayer;
  readonly speakers: Map<string, Speaker>;
  /** Sentences waiting to be played, in order. */
  readonly queue: AudioResource[];
  /** Bumped by barge-in: speech of an older epoch is thrown away. */
  epoch: number;
  /** The turns of this channel, one after another. */
  turns: Promise<void>;
  closed: boolean;
}

/**
 * Familiars in Discord voice channels (CH-5): `/join` and `/leave`, each admitted speaker heard on
 * their own (their Opus stream decoded to 16 kHz until a silence ends the turn), transcribed by the
 * voice service, answered as that person through the hub, and the reply spoken sentence by sentence.
 * A speaker who is not admitted is never subscribed to: their packets are dropped undecrypted by
 * @discordjs/voice. Anyone admitted starting to speak stops the familiar's speech (barge-in).
 */
export function createDiscordVoice(options: DiscordVoiceOptions) {
  const { client, hub, speech, logger, scrubber } = options;
  const endSilenceMs = options.endSilenceMs ?? 800;
  // @discordjs/voice keeps connections in a module-wide map: one group per adapter keeps two apart
  const group = `hearth-${randomUUID()}`;
  const sessions = new Map<string, Session>();
  const logError = (what: string) => (err: unknown) => logger.error({ err: scrubber.error(err), channel: 'discord' }, what);
  const placesOf = (s: Session) => [`channel:${s.channelId}`, `guild:${s.guildId}`];
  const senderOf = (guild: Guild, userId: string): ChannelSender => {
    const user = guild.members.cache.get(userId)?.user ?? client.users.cache.get(userId);
    return { channel: 'discord', externalId: userId, displayName: user?.username ?? null };
  };

  /** Admitted like a text sender in a server: a person (not a bot), in an allowlisted guild, with the required role. */
  const admissionOf = (guild: Guild, userId: string): boolean | undefined => {
    if (!options.guildAllowed(guild.id)) return false;
    const member = guild.members.cache.get(userId);
    if (!member) return undefined;
    if (member.user.bot) return false;
    return options.roleOk(
      member.roles.cache.map((r) => r.id),
      guild.id,
    );
  };

  /** Drops the sentences not played yet (their encoders freed). */
  const dropQueue = (s: Session) => {
    for (const r of s.queue.splice(0)) r.playStream.destroy();
  };

  const stopSpeaking = (s: Session) => {
    s.epoch++;
    dropQueue(s);
    // `true`: no trailing silence frames; the familiar falls quiet at the next 20 ms tick
    s.player.stop(true);
  };

  const playNext = (s: Session) => {
    if (s.closed || s.player.state.status !== AudioPlayerStatus.Idle) return;
    const next = s.queue.shift();
    if (next) s.player.play(next);
  };

  /** One sentence spoken: the voice service's WAV, at Discord's rate, encoded to Opus a few frames ahead of the player. */
  const say = async (s: Session, text: string, epoch: number): Promise<string | undefined> => {
    const spoken = await speech.speak(text, 'wav');
    const wav = parsePcmWav(spoken.audio);
    if (!wav || wav.channels > 2) throw new Error('speech was not a mono or stereo PCM WAV');
    if (s.closed || s.epoch !== epoch) return spoken.provider;
    const pcm = toDiscordPcm(wav.pcm, wav.rate, wav.channels);
    s.queue.push(createAudioResource(opusStream(pcm), { inputType: StreamType.Opus }));
    playNext(s);
    return spoken.provider;
  };

  /** One turn of one speaker: transcribed, run as them through the hub, the reply spoken as it streams. */
  const turn = async (s: Session, guild: Guild, userId: string, pcm: Buffer) => {
    if (s.closed || (pcm.length / 2 / HEARD_RATE) * 1000 < MIN_TURN_MS) return;
    const speaker = s.speakers.get(userId);
    if (!speaker?.admitted) return;
    const sender = senderOf(guild, userId);
    const key = `discord:voice:${s.channelId}`;
    const started = performance.now();
    const wav = pcmToWav(pcm, HEARD_RATE);
    // Who pays for the seconds (the voice budget) needs the person: the first time someone speaks in
    // this session the hub admits them (one message of their limit) before anything is transcribed.
    if (options.familiar && !speaker.userId) {
      await hub.handle(sender, '', key, {
        vouched: true,
        render: () => [],
        answer: async (person) => {
          speaker.userId = person.userId;
          return '';
        },
      });
      if (!speaker.userId) return; // limited: nothing transcribed
    }
    const familiarId = options.familiar && speaker.userId ? await options.familiar(placesOf(s), speaker.userId) : undefined;
    const payer = familiarId && speaker.userId ? { userId: speaker.userId, familiarId, channel: 'discord' } : undefined;
    let heard: Awaited<ReturnType<DiscordSpeech['transcribe']>>;
    try {
      heard = await speech.transcribe(wav, payer);
    } catch (err) {
      const reason = (err as { details?: { reason?: unknown } }).details?.reason;
      if (reason === 'VOICE_NO_SPEECH') return; // a sound, no words: nothing to answer
      // a spent voice budget says which and when it resets, as on every channel
      if (reason === 'BUDGET_EXCEEDED' && err instanceof Error) {
        await say(s, err.message, s.epoch).catch(logError('discord voice: speech failed'));
        return;
      }
      logger.warn({ err: scrubber.error(err), channel: 'discord', reason }, 'discord voice: not transcribed');
      return;
    }
    const epoch = s.epoch;
    let budget = MAX_SPOKEN_CHARS;
    const splitter = createSentenceSplitter();
    let streamed = false;
    let sentences = 0;
    let tts: string | undefined;
    let speaking = Promise.resolve();
    let failed = false;
    const enqueue = (sentence: string) => {
      const words = sentence.slice(0, budget);
      if (!words.trim() || budget <= 0) return;
      budget -= words.length;
      speaking = speaking.then(async () => {
        if (s.closed || s.epoch !== epoch || failed) return;
        try {
          tts = (await say(s, words, epoch)) ?? tts;
          sentences++;
        } catch (err) {
          // a sentence with nothing to say aloud (a link, a code block) is skipped; any other failure ends the speech
          if ((err as { details?: { reason?: unknown } }).details?.reason === 'VOICE_INVALID') return;
          failed = true;
          logger.warn({ err: scrubber.error(err), channel: 'discord' }, 'discord voice: speech failed');
        }
      });
    };
    let answer = '';
    const result = await hub.handle(sender, heard.text, key, {
      vouched: true,
      render: (text) => {
        answer = text;
        return [text];
      },
      // sentence by sentence while the model writes: the first words play before the reply is finished
      onDelta: (delta) => {
        streamed = true;
        for (const sentence of splitter.push(delta)) enqueue(sentence);
      },
      ...(options.familiar
        ? {
            familiar: async (id: string) => {
              speaker.userId = id; // a link made meanwhile is followed from the next turn on
              return options.familiar!(placesOf(s), id);
            },
          }
        : {}),
    });
    if (result.kind === 'limited') return; // too fast: not spoken over the room
    for (const sentence of [...(streamed ? [] : splitter.push(answer)), ...splitter.end()]) enqueue(sentence);
    await speaking;
    await options.audit?.record({
      actor: { type: 'channel', channel: 'discord', externalId: userId, ...(speaker.userId ? { userId: speaker.userId } : {}) },
      action: 'voice.turn',
      target: key,
      outcome: result.kind === 'reply' ? 'success' : 'failure',
      details: {
        channel: 'discord',
        seconds: Math.round((heard.seconds ?? pcm.length / 2 / HEARD_RATE) * 10) / 10,
        stt: heard.provider ?? null,
        tts: tts ?? null,
        sentences,
        interrupted: s.epoch !== epoch,
        ms: Math.round(performance.now() - started),
      },
    });
  };

  /** Starts hearing an admitted speaker; the stream ends after `endSilenceMs` without speech. */
  const listen = (s: Session, guild: Guild, userId: string) => {
    const receiver = s.connection.receiver;
    if (receiver.subscriptions.has(userId)) return;
    const stream = receiver.subscribe(userId, { end: { behavior: EndBehaviorType.AfterSilence, duration: endSilenceMs } });
    const decoder = createOpusDecoder(HEARD_RATE);
    const chunks: Buffer[] = [];
    let bytes = 0;
    const cap = Math.min(speech.maxBytes, MAX_TURN_SECONDS * HEARD_RATE * 2);
    stream.on('data', (packet: Buffer) => {
      if (bytes >= cap) return;
      const pcm = decoder.decode(packet);
      if (!pcm) return;
      chunks.push(pcm);
      bytes += pcm.length;
    });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      decoder.close();
      const pcm = Buffer.concat(chunks);
      s.turns = s.turns.then(() => turn(s, guild, userId, pcm)).catch(logError('discord voice turn failed'));
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  };

  const onSpeakingStart = (s: Session, userId: string) => {
    const guild = client.guilds.cache.get(s.guildId);
    if (!guild || s.closed || userId === client.user?.id) return;
    let speaker = s.speakers.get(userId);
    if (!speaker) {
      const admitted = admissionOf(guild, userId);
      if (admitted === undefined) {
        // not cached yet: ask Discord once; this utterance is heard from the answer on (a refusal is audited at once)
        void guild.members
          .fetch(userId)
          .then(() => {
            if (!s.speakers.has(userId)) s.speakers.set(userId, { admitted: admissionOf(guild, userId) === true });
            if (!s.speakers.get(userId)?.admitted || s.connection.receiver.speaking.users.has(userId)) onSpeakingStart(s, userId);
          })
          .catch(logError('discord voice: member lookup failed'));
        return;
      }
      speaker = { admitted };
      s.speakers.set(userId, speaker);
    } else speaker.admitted = admissionOf(guild, userId) ?? speaker.admitted;
    if (!speaker.admitted || !options.guildAllowed(guild.id)) {
      if (!speaker.refusalAudited) {
        speaker.refusalAudited = true;
        void hub.refuseCommand(senderOf(guild, userId), 'voice:missing_role').catch(logError('discord voice: audit failed'));
      }
      return; // never subscribed: their audio is not decrypted, decoded or kept
    }
    if (s.player.state.status !== AudioPlayerStatus.Idle || s.queue.length > 0) stopSpeaking(s); // barge-in
    listen(s, guild, userId);
  };

  const leave = (s: Session) => {
    if (s.closed) return;
    s.closed = true;
    sessions.delete(s.guildId);
    dropQueue(s);
    s.player.stop(true);
    if (s.connection.state.status !== VoiceConnectionStatus.Destroyed) s.connection.destroy();
  };

  const join = async (guild: Guild, channelId: string): Promise<Session> => {
    const old = sessions.get(guild.id);
    if (old && !old.closed) {
      // one voice channel per server: the same connection moves
      if (old.channelId !== channelId) {
        old.channelId = channelId;
        old.connection.rejoin({ channelId, selfDeaf: false, selfMute: false });
      }
      await entersState(old.connection, VoiceConnectionStatus.Ready, JOIN_TIMEOUT_MS);
      return old;
    }
    const connection = joinVoiceChannel({
      channelId,
      guildId: guild.id,
      group,
      selfDeaf: false, // hearing is the point
      selfMute: false,
      // DAVE (MLS end-to-end encryption of voice): Discord refuses voice without it since 2026-03-01
      daveEncryption: true,
      adapterCreator: guild.voiceAdapterCreator as DiscordGatewayAdapterCreator,
    });
    const player = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play } });
    const s: Session = {
      guildId: guild.id,
      channelId,
      connection,
      player,
      speakers: new Map(),
      queue: [],
      epoch: 0,
      turns: Promise.resolve(),
      closed: false,
    };
    sessions.set(guild.id, s);
    player.on('error', logError('discord voice: playback failed'));
    player.on(AudioPlayerStatus.Idle, () => playNext(s));
    connection.on('error', logError('discord voice: connection error'));
    connection.on(VoiceConnectionStatus.Destroyed, () => leave(s));
    connection.on(VoiceConnectionStatus.Disconnected, () => {
      // moved or a network blip: give it a moment to reconnect, else leave for good
      Promise.race([
        entersState(connection, VoiceConnectionStatus.Signalling, 5_000),
        entersState(connection, VoiceConnectionStatus.Connecting, 5_000),
      ]).catch(() => leave(s));
    });
    connection.subscribe(player);
    connection.receiver.speaking.on('start', (userId: string) => onSpeakingStart(s, userId));
    try {
      await entersState(connection, VoiceConnectionStatus.Ready, JOIN_TIMEOUT_MS);
    } catch (err) {
      leave(s);
      throw err;
    }
    return s;
  };

  /** Nobody but bots left in the familiar's channel: it leaves too. */
  const onVoiceState = (state: VoiceState) => {
    const s = sessions.get(state.guild.id);
    if (!s || s.closed) return;
    const people = state.guild.voiceStates.cache.filter(
      (v) => v.channelId === s.channelId && v.id !== client.user?.id && v.member?.user.bot !== true,
    );
    if (people.size === 0) leave(s);
  };
  const onVoiceStateUpdate = (before: VoiceState, after: VoiceState) => {
    if (after.id === client.user?.id) {
      const s = sessions.get(after.guild.id);
      if (!s) return;
      if (after.channelId === null)
        leave(s); // disconnected by someone
      else if (after.channelId !== s.channelId) s.channelId = after.channelId; // moved by someone: it follows
      if (!s.closed) onVoiceState(after);
      return;
    }
    onVoiceState(before.channelId ? before : after);
  };
  client.on('voiceStateUpdate', onVoiceStateUpdate);

  return {
    /** `/join` (the caller's voice channel) and `/leave`, answered behind the same admission as a turn. */
    async command(interaction: ChatInputCommandInteraction, sender: ChannelSender): Promise<readonly string[]> {
      const guild = interaction.guild;
      if (!interaction.guildId || !guild) return ['Voice channels are in servers: use /join there.'];
      const result = await hub.handle(sender, '', `discord:voice:${interaction.guildId}`, {
        vouched: true,
        render: (text) => [text],
        answer: async () => {
          if (interaction.commandName === 'leave') {
            const s = sessions.get(guild.id);
            if (!s) return 'I am not in a voice channel here.';
            leave(s);
            return 'I left the voice channel.';
          }
          const channelId = guild.voiceStates.cache.get(interaction.user.id)?.channelId;
          if (!channelId) return 'Join a voice channel first, then use /join.';
          try {
            await join(guild, channelId);
          } catch (err) {
            logError('discord voice: could not join')(err);
            return 'I could not join that voice channel (does the bot have Connect and Speak there?).';
          }
          return 'I am listening in your voice channel. Speak, then pause; /leave when you are done.';
        },
      });
      return result.parts;
    },
    /** Leaves every voice channel (the adapter is stopping). */
    async stop() {
      client.off('voiceStateUpdate', onVoiceStateUpdate);
      const open = [...sessions.values()];
      for (const s of open) leave(s);
      await Promise.all(open.map((s) => s.turns));
    },
  };
}
