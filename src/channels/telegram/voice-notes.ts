import { InputFile, type Api } from 'grammy';
import { renderTelegram, type ChannelHub, type ChannelSender } from '../core/index.js';
import type { VoiceNotes } from '../entry.js';

export interface VoiceNoteDeps {
  readonly api: Api;
  readonly token: string;
  readonly apiRoot: string;
  readonly hub: ChannelHub;
  readonly voice: VoiceNotes | undefined;
  readonly sendParts: (chatId: number, parts: readonly string[]) => Promise<void>;
  readonly typing: { readonly send: () => void; readonly repeatMs: number };
  /** The familiar that answers this chat (issue #22); absent: the channel's one familiar. */
  readonly familiar?: ((userId: string) => Promise<string>) | undefined;
}

const VOICE_OFF = 'Voice notes are not available here; please write to me instead.';
const TOO_BIG = 'That voice note is too long for me; please keep it shorter, or write.';
const DOWNLOAD_TIMEOUT_MS = 30_000;

/** A voice error's message is written for the person (415, 413, 422: not audio, too long, no speech); anything else is not shown. */
const sayable = (err: unknown): string | undefined => {
  const reason = (err as { details?: { reason?: unknown } }).details?.reason;
  // a spent voice budget says which and when it resets, as on every channel
  if (reason === 'BUDGET_EXCEEDED' && err instanceof Error) return err.message;
  if (reason === 'VOICE_NO_SPEECH') return 'I could not make out any words in that voice note; could you say it again, or write?';
  if (reason === 'VOICE_TOO_LONG' || reason === 'VOICE_TOO_LARGE') return TOO_BIG;
  if (reason === 'VOICE_NOT_AUDIO') return 'I could not play that voice note.';
  if (typeof reason === 'string' && reason.startsWith('VOICE_'))
    return 'I cannot listen to voice notes right now; please write to me instead.';
  return undefined;
};

/** The note's bytes through getFile and the Bot API's file URL (which holds the token: never logged), at most `maxBytes`. */
async function download(deps: VoiceNoteDeps, fileId: string, maxBytes: number): Promise<Buffer | undefined> {
  const file = await deps.api.getFile(fileId);
  if (!file.file_path || (file.file_size ?? 0) > maxBytes) return undefined;
  const res = await fetch(`${deps.apiRoot}/file/bot${deps.token}/${file.file_path}`, {
    redirect: 'error',
    signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS),
  });
  if (!res.ok || !res.body) throw new Error(`voice note download failed (${res.status})`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.length;
    if (total > maxBytes) return undefined;
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/**
 * A voice note (CH-5): the sender is admitted exactly as for text before anything is downloaded;
 * the note is transcribed, the transcript runs as the person's message through the hub (rate
 * limit, the same turn), and the reply comes back as text and as an OGG/Opus voice note.
 */
export async function answerVoiceNote(
  deps: VoiceNoteDeps,
  chatId: number,
  sender: ChannelSender,
  note: { readonly file_id: string; readonly file_size?: number | undefined },
): Promise<void> {
  const { hub, voice } = deps;
  const admission = await hub.admit(sender);
  if (admission.kind !== 'allowed') return deps.sendParts(chatId, renderTelegram(admission.reply));
  if (!voice) return deps.sendParts(chatId, renderTelegram(VOICE_OFF));
  if ((note.file_size ?? 0) > voice.maxBytes) return deps.sendParts(chatId, renderTelegram(TOO_BIG));
  let transcript: string;
  try {
    const audio = await download(deps, note.file_id, voice.maxBytes);
    if (!audio) return deps.sendParts(chatId, renderTelegram(TOO_BIG));
    // the note's seconds are charged to the person with this chat's familiar (voice budget, issue #22)
    const familiarId = deps.familiar ? await deps.familiar(admission.userId) : undefined;
    const payer = familiarId ? { userId: admission.userId, familiarId, channel: 'telegram' } : undefined;
    transcript = (await voice.transcribe(audio, payer)).text;
  } catch (err) {
    const say = sayable(err);
    if (!say) throw err;
    return deps.sendParts(chatId, renderTelegram(say));
  }
  let replyText: string | undefined;
  const result = await hub.handle(sender, transcript, `telegram:chat:${chatId}`, {
    render: (text) => {
      replyText = text;
      return renderTelegram(text);
    },
    typing: deps.typing,
    ...(deps.familiar ? { familiar: deps.familiar } : {}),
  });
  await deps.sendParts(chatId, result.parts);
  if (result.kind !== 'reply' || !replyText) return;
  const speech = await voice.speak(replyText, 'ogg').catch((err: unknown) => {
    if (!sayable(err)) throw err;
    return undefined; // the text reply is already there
  });
  if (speech) await deps.api.sendVoice(chatId, new InputFile(speech.audio, 'reply.ogg'));
}
