import { definePlugin } from '../core/index.js';
import { createClipStore } from './clips.js';
import { SPEECH_KEY_COLUMN, voiceMigrations } from './migrations.js';
import { createSpeechProviders } from './providers.js';
import { voiceRoutes } from './routes.js';
import { createVoice, type Voice } from './service.js';
import { vadAssetRoutes } from './routes/vad-assets.js';

declare module '../core/plugin.js' {
  interface Services {
    /** Speech to text and text to speech around the turn (CH-5); channels use it for voice notes. */
    voice: Voice;
  }
}

/** Spoken replies fetched by URL live this long (the web plays them at once). */
const CLIP_TTL_MS = 10 * 60 * 1000;

/**
 * Voice (CH-5): transcription in front of the turn, speech after it. Offline defaults (pocketsphinx,
 * espeak-ng, ffmpeg, run only when voice is used) or OpenAI-compatible speech providers.
 */
export const voicePlugin = definePlugin({
  name: 'voice',
  migrations: voiceMigrations,
  sealedColumns: [SPEECH_KEY_COLUMN],
  init(kernel) {
    const { config, storage, vault, audit, now } = kernel;
    const limits = {
      dataDir: config.dataDir,
      maxBytes: config.HEARTH_VOICE_MAX_BYTES,
      maxSeconds: config.HEARTH_VOICE_MAX_SECONDS,
      timeoutMs: config.HEARTH_VOICE_TIMEOUT_MS,
      maxSpeechChars: 2000,
    };
    const providers = createSpeechProviders({ storage, vault, audit, now, maxBytes: limits.maxBytes });
    // voice minutes (issue #22): each recording's seconds are charged before it is transcribed
    const voice = createVoice({
      providers,
      turns: kernel.service('turns'),
      audit,
      limits,
      charge: kernel.optional('voiceBudgets')?.charge,
    });
    // In the database, so a URL spoken by one replica is served by any (at most 20 waiting per person).
    const clips = createClipStore({ storage, ttlMs: CLIP_TTL_MS, maxPerUser: 20, now });
    // Expired clips are deleted on every new one and, so that none outlive an idle spell, every 10
    // minutes by each replica (idempotent and indexed: no need to elect one through the job queue).
    let sweeper: NodeJS.Timeout | undefined;
    const sweep = () => void clips.sweep().catch((err: unknown) => kernel.logger.warn({ err }, 'sweeping expired voice clips failed'));
    const conversations = kernel.service('conversations');
    return {
      services: { voice },
      contributes: { personData: [{ part: 'voice clips', erase: async (userId) => ({ voice_clips: await clips.erase(userId) }) }] },
      start() {
        sweep();
        sweeper = setInterval(sweep, CLIP_TTL_MS).unref();
      },
      close() {
        clearInterval(sweeper);
      },
      routes: [voiceRoutes({ voice, conversations, clips, maxBytes: limits.maxBytes }), vadAssetRoutes()],
    };
  },
});
