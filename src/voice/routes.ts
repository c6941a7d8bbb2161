import { Readable } from 'node:stream';
import { z } from 'zod';
import { AppError, type HearthApp, type Principal, type RouteModule } from '../core/index.js';
import type { ConversationStore } from '../companions/conversations.js';
import type { AuditActor } from '../security/audit/index.js';
import { policy, requirePrincipal } from '../server/index.js';
import { streamSse } from '../server/sse.js';
import type { SpeechFormat } from './audio.js';
import { readBody, type BodyReader } from './body.js';
import type { ClipStore } from './clips.js';
import { voiceErrors } from './errors.js';
import type { Voice, VoiceUpload } from './service.js';

const params = z.strictObject({ id: z.string().min(1).max(100) });
const messageParams = z.strictObject({ id: z.string().min(1).max(100), messageId: z.string().min(1).max(100) });
const clipParams = z.strictObject({ clip: z.string().regex(/^[A-Za-z0-9_-]{24}$/) });
const formatQuery = z.strictObject({ format: z.enum(['wav', 'ogg', 'mp3']).optional() });
const providerBody = z.strictObject({
  name: z.string().trim().min(1).max(64),
  kind: z.enum(['stt', 'tts']),
  api: z.enum(['openai', 'deepgram', 'cartesia']).optional(),
  baseUrl: z.string().min(1).max(2000),
  apiKey: z.string().min(1).max(4000).nullable().optional(),
  model: z.string().min(1).max(200),
  voice: z.string().min(1).max(100).nullable().optional(),
  timeoutMs: z.number().int().min(1000).max(600_000).optional(),
  active: z.boolean().optional(),
});
const providerPatch = providerBody.omit({ kind: true, api: true }).partial().strict();

const isStream = (body: unknown): body is Readable => body instanceof Readable;

const actorOf = (p: Principal): AuditActor =>
  p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };

/**
 * The audio of a request: a raw audio body as it arrives (a stream, so a live transcriber hears it
 * while it uploads), or the `audio` field of a multipart form (parsed by Node's own fetch implementation).
 */
async function uploadOf(body: unknown, contentType: string | undefined, reader: BodyReader | undefined): Promise<VoiceUpload> {
  if (reader) return reader;
  const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  if (!/^multipart\/form-data/i.test(contentType ?? '')) return bytes;
  let field: FormDataEntryValue | null;
  try {
    field = (await new Response(new Uint8Array(bytes), { headers: { 'content-type': contentType ?? '' } }).formData()).get('audio');
  } catch {
    throw new AppError('BAD_REQUEST', 'The multipart body could not be read');
  }
  if (!field || typeof field === 'string') throw new AppError('VALIDATION_FAILED', 'The multipart field "audio" is missing or not a file');
  return Buffer.from(await field.arrayBuffer());
}

/**
 * Voice over HTTP (CH-5): a voice turn on a conversation, a message spoken, the spoken reply's
 * short-lived URL, and the admins' speech providers. Chat-scoped routes share the chat rate limit.
 */
export function voiceRoutes(deps: { voice: Voice; conversations: ConversationStore; clips: ClipStore; maxBytes: number }): RouteModule {
  const { voice, conversations, clips, maxBytes } = deps;
  const ownConversation = async (userId: string, id: string) => {
    const c = await conversations.get(userId, id);
    if (!c) throw new AppError('NOT_FOUND', 'Conversation not found');
    return c;
  };
  return async (app) => {
    await app.register(async (scope: HearthApp) => {
      // Only audio (or a form carrying it) reaches this route; a multipart form has some bytes of framing.
      scope.removeAllContentTypeParsers();
      const bodyLimit = maxBytes + 64 * 1024;
      const asBuffer = { parseAs: 'buffer' as const, bodyLimit };
      const keep = (_req: unknown, body: string | Buffer, done: (err: null, body: Buffer | string) => void) => done(null, body);
      // A raw audio body is handed on unread, as a stream: read (and its size counted) by the voice
      // service as it arrives, after the policy and the conversation are checked.
      const stream = async (_request: unknown, payload: Readable) => payload;
      scope.addContentTypeParser(/^audio\//, stream);
      scope.addContentTypeParser('application/octet-stream', stream);
      scope.addContentTypeParser('multipart/form-data', asBuffer, keep);
      // Any other type is read too and refused by the handler, after the policy: an unauthenticated
      // caller gets 401, never a 415 that tells what the route accepts (AUTH-7).
      scope.addContentTypeParser('*', asBuffer, keep);
      scope.post(
        '/api/conversations/:id/voice',
        { config: { policy: policy.member('chat') }, bodyLimit, schema: { params, querystring: formatQuery } },
        async (request, reply) => {
          // Whatever the turn did not read of a streamed body is dropped once it ends, so the connection goes on.
          const reader = isStream(request.body) ? readBody(request.body) : undefined;
          try {
            const p = requirePrincipal(request);
            const type = request.headers['content-type'] ?? '';
            if (!/^(audio\/|application\/octet-stream|multipart\/form-data)/i.test(type))
              throw new AppError(
                'UNSUPPORTED_MEDIA_TYPE',
                'Send audio (audio/*, application/octet-stream, or multipart with an "audio" field)',
              );
            // A declared length past the limit is refused before any of the body is read.
            if (isStream(request.body) && Number(request.headers['content-length'] ?? 0) > maxBytes)
              throw voiceErrors.create('VOICE_TOO_LARGE', `Audio larger than ${maxBytes} bytes`);
            const c = await ownConversation(p.userId, request.params.id);
            const upload = await uploadOf(request.body, type, reader);
            if (Buffer.isBuffer(upload) && upload.length > maxBytes)
              throw voiceErrors.create('VOICE_TOO_LARGE', `Audio larger than ${maxBytes} bytes`);
            const format: SpeechFormat = request.query.format ?? 'wav';
            const base = {
              channel: 'voice' as const,
              userId: p.userId,
              role: p.role,
              familiarId: c.familiarId,
              conversationId: c.id,
              conversation: c,
            };
            if (/text\/event-stream/.test(request.headers.accept ?? '')) {
              // The transcript, the reply's text and each sentence's audio as they are ready; `done` last, with the whole clip's URL.
              return await streamSse(request, reply, async (sse) => {
                let erred = false;
                try {
                  const result = await voice.streamTurn(
                    upload,
                    { ...base, requestId: request.id, signal: sse.signal },
                    actorOf(p),
                    format,
                    (event) => {
                      erred ||= event.type === 'error';
                      if (!sse.signal.aborted) sse.send(event, event.type);
                    },
                  );
                  const clip = result.speech ? await clips.put(p.userId, result.speech.audio, result.speech.contentType) : undefined;
                  sse.send(
                    {
                      type: 'done',
                      transcript: result.transcript,
                      reply: result.reply,
                      audio: clip && result.speech ? { url: `/api/voice/clips/${clip}`, contentType: result.speech.contentType } : null,
                    },
                    'done',
                  );
                } catch (err) {
                  // Before the first event: the normal error answer. After it, an `error` event (unless the turn sent its own).
                  if (!sse.started) throw err;
                  if (!erred && !sse.signal.aborted) {
                    const e = err instanceof AppError ? err : new AppError('INTERNAL', 'The voice turn failed');
                    sse.send({ type: 'error', code: e.code, message: e.message }, 'error');
                  }
                }
              });
            }
            const result = await voice.turn(upload, { ...base, requestId: request.id }, actorOf(p), format);
            const clip = await clips.put(p.userId, result.speech.audio, result.speech.contentType);
            return {
              transcript: result.transcript,
              reply: result.reply,
              audio: { url: `/api/voice/clips/${clip}`, contentType: result.speech.contentType },
            };
          } finally {
            reader?.release();
          }
        },
      );
    });
    app.get(
      '/api/voice/clips/:clip',
      { config: { policy: policy.member('chat') }, schema: { params: clipParams } },
      async (request, reply) => {
        const clip = await clips.get(requirePrincipal(request).userId, request.params.clip);
        if (!clip) throw new AppError('NOT_FOUND', 'Audio not found or expired');
        return reply.header('content-type', clip.contentType).header('cache-control', 'private, no-store').send(clip.audio);
      },
    );
    // One stored message, spoken: the person's own conversations only.
    app.post(
      '/api/conversations/:id/messages/:messageId/speech',
      { config: { policy: policy.member('chat') }, schema: { params: messageParams, querystring: formatQuery } },
      async (request, reply) => {
        const p = requirePrincipal(request);
        await ownConversation(p.userId, request.params.id);
        const message = await conversations.message(p.userId, request.params.id, request.params.messageId);
        if (!message) throw new AppError('NOT_FOUND', 'Message not found');
        const speech = await voice.speak(message.content, request.query.format ?? 'wav');
        return reply.header('content-type', speech.contentType).header('cache-control', 'private, no-store').send(speech.audio);
      },
    );

    const admin = { policy: policy.admin() };
    app.get('/api/voice/providers', { config: admin }, async () => ({ providers: await voice.providers.list() }));
    app.post('/api/voice/providers', { config: admin, schema: { body: providerBody } }, async (request, reply) =>
      reply.status(201).send(await voice.providers.create(request.body, actorOf(requirePrincipal(request)))),
    );
    app.patch('/api/voice/providers/:id', { config: admin, schema: { params, body: providerPatch } }, async (request) =>
      voice.providers.update(request.params.id, request.body, actorOf(requirePrincipal(request))),
    );
    app.delete('/api/voice/providers/:id', { config: admin, schema: { params } }, async (request, reply) => {
      await voice.providers.remove(request.params.id, actorOf(requirePrincipal(request)));
      return reply.status(204).send();
    });
    app.post('/api/voice/providers/:id/test', { config: admin, schema: { params } }, async (request) => voice.test(request.params.id));
    // The offline default (espeak-ng → ffmpeg → pocketsphinx): says which Debian package is missing, if one is.
    app.post('/api/voice/offline/test', { config: admin }, async () => voice.test());
  };
}
