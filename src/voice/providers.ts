import { randomUUID } from 'node:crypto';
import { AppError, isTlsOrLoopback } from '../core/index.js';
import type { AuditActor, AuditLog } from '../security/audit/index.js';
import { maskSecret, type Vault } from '../security/vault/index.js';
import type { Storage } from '../storage/index.js';
import { createOpenAISpeaker, createOpenAITranscriber, type SpeechToText, type TextToSpeech } from './engines.js';
import { createCartesiaSpeaker, createDeepgramTranscriber } from './vendors.js';
import { voiceErrors } from './errors.js';
import type { VoiceTables } from './migrations.js';

type SpeechKind = 'stt' | 'tts';
/** The wire protocol a provider speaks. */
type SpeechApi = 'openai' | 'deepgram' | 'cartesia';
/** What each protocol offers: Deepgram transcribes, Cartesia speaks. */
const KINDS: Record<SpeechApi, readonly SpeechKind[]> = { openai: ['stt', 'tts'], deepgram: ['stt'], cartesia: ['tts'] };

/** A speech provider as the API shows it: the key only masked (DATA-1). */
interface SpeechProviderView {
  readonly id: string;
  readonly name: string;
  readonly kind: SpeechKind;
  readonly api: SpeechApi;
  readonly baseUrl: string;
  readonly apiKey: string | null;
  readonly model: string;
  readonly voice: string | null;
  readonly timeoutMs: number;
  readonly active: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface SpeechProviderInput {
  readonly name: string;
  readonly kind: SpeechKind;
  readonly api?: SpeechApi | undefined;
  readonly baseUrl: string;
  readonly apiKey?: string | null | undefined;
  readonly model: string;
  readonly voice?: string | null | undefined;
  readonly timeoutMs?: number | undefined;
  readonly active?: boolean | undefined;
}

export interface SpeechProviders {
  list(): Promise<SpeechProviderView[]>;
  create(input: SpeechProviderInput, actor: AuditActor): Promise<SpeechProviderView>;
  update(id: string, input: Partial<Omit<SpeechProviderInput, 'kind' | 'api'>>, actor: AuditActor): Promise<SpeechProviderView>;
  remove(id: string, actor: AuditActor): Promise<void>;
  /** The active provider's engine for a kind, or undefined (the offline default then). */
  active(kind: 'stt'): Promise<SpeechToText | undefined>;
  active(kind: 'tts'): Promise<TextToSpeech | undefined>;
  /** The engine of one provider (the test-connection action). */
  engine(id: string): Promise<{ kind: SpeechKind; stt?: SpeechToText; tts?: TextToSpeech }>;
}

type Row = VoiceTables['speech_providers'];

const view = (r: Row): SpeechProviderView => ({
  id: r.id,
  name: r.name,
  kind: r.kind as SpeechKind,
  api: r.api as SpeechApi,
  baseUrl: r.base_url,
  apiKey: r.api_key_last4 ? maskSecret(`xxxx${r.api_key_last4}`) : null,
  model: r.model,
  voice: r.voice,
  timeoutMs: Number(r.timeout_ms),
  active: Number(r.active) === 1,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** LLM-5 for speech: https anywhere, plain http only to loopback (a local Whisper server); no credentials, query or fragment. */
function checkUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw voiceErrors.create('VOICE_INVALID', 'Base URL is not a valid URL');
  }
  if (url.username || url.password)
    throw voiceErrors.create('VOICE_INVALID', 'Base URL must not contain credentials; use the API key field');
  if (url.search || url.hash) throw voiceErrors.create('VOICE_INVALID', 'Base URL must not contain a query or fragment');
  if (!isTlsOrLoopback(url)) throw voiceErrors.create('VOICE_INVALID', 'Base URL must use https (or http to loopback)');
  return url.toString().replace(/\/$/, '');
}

/** Speech providers (OpenAI-compatible audio endpoints), keys sealed in the vault, configured as model providers are. */
export function createSpeechProviders(options: {
  storage: Storage;
  vault: Vault;
  audit: AuditLog;
  maxBytes: number;
  now?: () => number;
  fetch?: typeof fetch;
}): SpeechProviders {
  const db = options.storage.db.withTables<VoiceTables>();
  const now = options.now ?? Date.now;
  const { vault, audit } = options;
  const location = (id: string) => ({ table: 'speech_providers', column: 'api_key_sealed', id });

  async function row(id: string): Promise<Row> {
    const r = await db.selectFrom('speech_providers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw voiceErrors.create('VOICE_PROVIDER_NOT_FOUND', 'Speech provider not found');
    return r;
  }
  async function unique<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (/unique|duplicate/i.test(String((err as Error).message)))
        throw new AppError('CONFLICT', 'A speech provider with this name exists');
      throw err;
    }
  }
  /** Only one provider per kind is active: activating one deactivates the others. */
  const deactivateOthers = (kind: string, id: string) =>
    db.updateTable('speech_providers').set({ active: 0 }).where('kind', '=', kind).where('id', '!=', id).execute();

  function engineOf(r: Row): { stt?: SpeechToText; tts?: TextToSpeech } {
    const engine = {
      baseUrl: r.base_url,
      apiKey: r.api_key_sealed ? vault.open(location(r.id), r.api_key_sealed) : undefined,
      model: r.model,
      voice: r.voice ?? undefined,
      timeoutMs: Number(r.timeout_ms),
      maxBytes: options.maxBytes,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    if (r.kind === 'stt') return { stt: r.api === 'deepgram' ? createDeepgramTranscriber(engine) : createOpenAITranscriber(engine) };
    return { tts: r.api === 'cartesia' ? createCartesiaSpeaker(engine) : createOpenAISpeaker(engine) };
  }

  const service = {
    async list() {
      return (await db.selectFrom('speech_providers').selectAll().orderBy('name').execute()).map(view);
    },
    async create(input: SpeechProviderInput, actor: AuditActor) {
      const id = randomUUID();
      const t = now();
      const key = input.apiKey || null;
      const api = input.api ?? 'openai';
      if (!KINDS[api].includes(input.kind))
        throw voiceErrors.create('VOICE_INVALID', `A ${api} provider offers ${KINDS[api].map((k) => k.toUpperCase()).join(' and ')} only`);
      if (api === 'cartesia' && !input.voice) throw voiceErrors.create('VOICE_INVALID', 'A Cartesia provider needs a voice id');
      const r: Row = {
        id,
        name: input.name,
        kind: input.kind,
        api,
        base_url: checkUrl(input.baseUrl),
        api_key_sealed: key ? vault.seal(location(id), key) : null,
        api_key_last4: key ? key.slice(-4) : null,
        model: input.model,
        voice: input.voice ?? null,
        timeout_ms: input.timeoutMs ?? 60_000,
        active: input.active ? 1 : 0,
        created_at: t,
        updated_at: t,
      };
      await unique(() => db.insertInto('speech_providers').values(r).execute());
      if (r.active) await deactivateOthers(r.kind, id);
      await audit.record({
        actor,
        action: 'speech_provider.create',
        target: id,
        outcome: 'success',
        details: { name: r.name, kind: r.kind, api, baseUrl: r.base_url, hasKey: key !== null, active: r.active === 1 },
      });
      return view(r);
    },
    async update(id: string, input: Partial<Omit<SpeechProviderInput, 'kind' | 'api'>>, actor: AuditActor) {
      const current = await row(id);
      const patch: Partial<Row> = { updated_at: Math.max(now(), Number(current.updated_at) + 1) };
      if (input.name !== undefined) patch.name = input.name;
      if (input.baseUrl !== undefined) patch.base_url = checkUrl(input.baseUrl);
      if (input.model !== undefined) patch.model = input.model;
      if (input.voice !== undefined) {
        if (current.api === 'cartesia' && !input.voice) throw voiceErrors.create('VOICE_INVALID', 'A Cartesia provider needs a voice id');
        patch.voice = input.voice;
      }
      if (input.timeoutMs !== undefined) patch.timeout_ms = input.timeoutMs;
      if (input.active !== undefined) patch.active = input.active ? 1 : 0;
      if (input.apiKey !== undefined) {
        patch.api_key_sealed = input.apiKey ? vault.seal(location(id), input.apiKey) : null;
        patch.api_key_last4 = input.apiKey ? input.apiKey.slice(-4) : null;
      }
      await unique(() => db.updateTable('speech_providers').set(patch).where('id', '=', id).execute());
      if (patch.active === 1) await deactivateOthers(current.kind, id);
      await audit.record({
        actor,
        action: 'speech_provider.update',
        target: id,
        outcome: 'success',
        details: { fields: Object.keys(input) },
      });
      return view({ ...current, ...patch });
    },
    async remove(id: string, actor: AuditActor) {
      await row(id);
      await db.deleteFrom('speech_providers').where('id', '=', id).execute();
      await audit.record({ actor, action: 'speech_provider.delete', target: id, outcome: 'success' });
    },
    async active(kind: SpeechKind) {
      const r = await db.selectFrom('speech_providers').selectAll().where('kind', '=', kind).where('active', '=', 1).executeTakeFirst();
      if (!r) return undefined;
      const e = engineOf(r);
      return kind === 'stt' ? e.stt : e.tts;
    },
    async engine(id: string) {
      const r = await row(id);
      return { kind: r.kind as SpeechKind, ...engineOf(r) };
    },
  };
  return service as SpeechProviders;
}
