import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/index.js';
import type { Vault } from '../security/vault/index.js';
import { maskSecret } from '../security/vault/index.js';
import type { AuditLog, AuditActor } from '../security/audit/index.js';
import { AppError } from '../core/index.js';
import { createOpenAIChat } from './openai-chat.js';
import type { ProviderTables } from './migrations.js';
import type { ChatModel } from './types.js';
import { checkProviderUrl } from './url-policy.js';

/** A provider as the API shows it: never the key, only its last four characters (DATA-1). */
interface ProviderView {
  readonly id: string;
  readonly name: string;
  readonly baseUrl: string;
  readonly apiKey: string | null;
  readonly defaultModel: string | null;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly maxOutputTokens: number | null;
  /** Plain http to a private-network address is allowed (the operator's explicit choice; audited). */
  readonly trustedLocalNetwork: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface ProviderInput {
  readonly name: string;
  readonly baseUrl: string;
  readonly apiKey?: string | null | undefined;
  readonly defaultModel?: string | null | undefined;
  readonly timeoutMs?: number | undefined;
  readonly maxRetries?: number | undefined;
  readonly maxOutputTokens?: number | null | undefined;
  readonly trustedLocalNetwork?: boolean | undefined;
}

export interface ProviderService {
  list(): Promise<ProviderView[]>;
  get(id: string): Promise<ProviderView | undefined>;
  create(input: ProviderInput, actor: AuditActor): Promise<ProviderView>;
  update(id: string, input: Partial<ProviderInput>, actor: AuditActor): Promise<ProviderView>;
  remove(id: string, actor: AuditActor): Promise<void>;
  /** The model client for a provider; the key is opened from the vault only here. */
  model(id: string): Promise<ChatModel>;
  /** Lists the provider's models to prove the URL and key work. */
  /**
   * Lists the provider's models to prove the URL and key work. On failure, `error` is Hearth's
   * category and `detail` the provider's own words (its error message, without the key), for the admin.
   */
  testConnection(id: string): Promise<{ ok: true; models: string[] } | { ok: false; error: string; detail?: string }>;
  /** Forgets every cached client, so the next call rebuilds it from its row (the `invalidate` webhook). */
  dropCache(): void;
}

export interface ProviderServiceOptions {
  readonly storage: Storage;
  readonly vault: Vault;
  readonly audit: AuditLog;
  readonly now?: () => number;
  /** Test hook passed to the SDK. */
  readonly fetch?: typeof fetch;
}

type Row = ProviderTables['providers'];

function view(row: Row): ProviderView {
  return {
    id: row.id,
    name: row.name,
    baseUrl: row.base_url,
    apiKey: row.api_key_last4 ? maskSecret(`xxxx${row.api_key_last4}`) : null,
    defaultModel: row.default_model,
    timeoutMs: Number(row.timeout_ms),
    maxRetries: Number(row.max_retries),
    maxOutputTokens: row.max_output_tokens === null || row.max_output_tokens === undefined ? null : Number(row.max_output_tokens),
    trustedLocalNetwork: Number(row.trusted_local_network ?? 0) === 1,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

function validUrl(raw: string, trustedLocalNetwork: boolean): string {
  try {
    return checkProviderUrl(raw, { trustedLocalNetwork });
  } catch (err) {
    throw new AppError('VALIDATION_FAILED', (err as Error).message);
  }
}

/** Provider records with keys sealed in the vault, and the clients built from them. */
export function createProviderService(options: ProviderServiceOptions): ProviderService {
  const db = options.storage.db.withTables<ProviderTables>();
  const now = options.now ?? Date.now;
  const { vault, audit } = options;
  const location = (id: string) => ({ table: 'providers', column: 'api_key_sealed', id });
  // Clients are cached per row version, so a changed key takes effect at once.
  const cache = new Map<string, { updatedAt: number; model: ChatModel }>();

  async function row(id: string): Promise<Row> {
    const r = await db.selectFrom('providers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new AppError('NOT_FOUND', 'Provider not found');
    return r;
  }

  async function unique<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (/unique|duplicate/i.test(String((err as Error).message))) throw new AppError('CONFLICT', 'A provider with this name exists');
      throw err;
    }
  }

  /** Its own audit entry, so turning plain http on for a provider is easy to find. */
  const auditTrust = (actor: AuditActor, id: string, enabled: boolean, baseUrl: string) =>
    audit.record({ actor, action: 'provider.trusted_local_network', target: id, outcome: 'success', details: { enabled, baseUrl } });

  const service: ProviderService = {
    async list() {
      return (await db.selectFrom('providers').selectAll().orderBy('name').execute()).map(view);
    },
    async get(id) {
      const r = await db.selectFrom('providers').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? view(r) : undefined;
    },
    async create(input, actor) {
      const id = randomUUID();
      const t = now();
      const key = input.apiKey || null;
      const r: Row = {
        id,
        name: input.name,
        base_url: validUrl(input.baseUrl, input.trustedLocalNetwork === true),
        api_key_sealed: key ? vault.seal(location(id), key) : null,
        api_key_last4: key ? key.slice(-4) : null,
        default_model: input.defaultModel ?? null,
        timeout_ms: input.timeoutMs ?? 60_000,
        max_retries: input.maxRetries ?? 2,
        max_output_tokens: input.maxOutputTokens ?? null,
        trusted_local_network: input.trustedLocalNetwork ? 1 : 0,
        created_at: t,
        updated_at: t,
      };
      await unique(() => db.insertInto('providers').values(r).execute());
      await audit.record({
        actor,
        action: 'provider.create',
        target: id,
        outcome: 'success',
        details: { name: r.name, baseUrl: r.base_url, hasKey: key !== null },
      });
      if (input.trustedLocalNetwork) await auditTrust(actor, id, true, r.base_url);
      return view(r);
    },
    async update(id, input, actor) {
      const current = await row(id);
      const patch: Partial<Row> = { updated_at: Math.max(now(), Number(current.updated_at) + 1) };
      if (input.name !== undefined) patch.name = input.name;
      const trusted = input.trustedLocalNetwork ?? Number(current.trusted_local_network ?? 0) === 1;
      // The URL is checked again when the trust changes too: untrusting a LAN http provider is refused until it has an https URL.
      if (input.baseUrl !== undefined || input.trustedLocalNetwork !== undefined)
        patch.base_url = validUrl(input.baseUrl ?? current.base_url, trusted);
      if (input.trustedLocalNetwork !== undefined) patch.trusted_local_network = trusted ? 1 : 0;
      if (input.defaultModel !== undefined) patch.default_model = input.defaultModel;
      if (input.timeoutMs !== undefined) patch.timeout_ms = input.timeoutMs;
      if (input.maxRetries !== undefined) patch.max_retries = input.maxRetries;
      if (input.maxOutputTokens !== undefined) patch.max_output_tokens = input.maxOutputTokens;
      if (input.apiKey !== undefined) {
        patch.api_key_sealed = input.apiKey ? vault.seal(location(id), input.apiKey) : null;
        patch.api_key_last4 = input.apiKey ? input.apiKey.slice(-4) : null;
      }
      await unique(() => db.updateTable('providers').set(patch).where('id', '=', id).execute());
      cache.delete(id);
      await audit.record({ actor, action: 'provider.update', target: id, outcome: 'success', details: { fields: Object.keys(input) } });
      if (input.trustedLocalNetwork !== undefined && trusted !== (Number(current.trusted_local_network ?? 0) === 1))
        await auditTrust(actor, id, trusted, patch.base_url ?? current.base_url);
      return view({ ...current, ...patch });
    },
    async remove(id, actor) {
      await row(id);
      await db.deleteFrom('providers').where('id', '=', id).execute();
      cache.delete(id);
      await audit.record({ actor, action: 'provider.delete', target: id, outcome: 'success' });
    },
    async model(id) {
      const r = await row(id);
      const cached = cache.get(id);
      if (cached && cached.updatedAt === Number(r.updated_at)) return cached.model;
      const apiKey = r.api_key_sealed ? vault.open(location(id), r.api_key_sealed) : undefined;
      const model = createOpenAIChat({
        baseUrl: r.base_url,
        apiKey,
        timeoutMs: Number(r.timeout_ms),
        maxRetries: Number(r.max_retries),
        maxOutputTokens: view(r).maxOutputTokens ?? undefined,
        trustedLocalNetwork: view(r).trustedLocalNetwork,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      cache.set(id, { updatedAt: Number(r.updated_at), model });
      return model;
    },
    async testConnection(id) {
      const model = await service.model(id);
      try {
        return { ok: true, models: await model.listModels(AbortSignal.timeout(15_000)) };
      } catch (err) {
        const r = await row(id);
        const key = r.api_key_sealed ? vault.open(location(id), r.api_key_sealed) : undefined;
        const detail = providerDetail((err as Error).cause, key);
        return { ok: false, error: (err as Error).message, ...(detail ? { detail } : {}) };
      }
    },
    dropCache: () => cache.clear(),
  };
  return service;
}

/**
 * What the provider itself said (an OpenAI-style `error.message`, or the connection error), as one
 * line of at most 300 characters, with the provider key (and anything that looks like a bearer key) masked.
 */
function providerDetail(cause: unknown, key: string | undefined): string | undefined {
  if (!(cause instanceof Error)) return undefined;
  const body = (cause as { error?: { message?: unknown } }).error;
  const status = (cause as { status?: unknown }).status;
  let text = typeof body?.message === 'string' ? body.message : cause.message;
  const root = (cause as { cause?: unknown }).cause;
  if (!text && root instanceof Error) text = root.message;
  if (!text) return undefined;
  if (key) text = text.split(key).join('••••');
  text = text
    .replace(/\b(sk|pk|key|hth)[-_][A-Za-z0-9_-]{8,}/gi, '••••')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim();
  const line = typeof status === 'number' && !text.startsWith(String(status)) ? `${status} ${text}` : text;
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

/** The turn's `modelFor`: a familiar's provider client, or a clear 503 when none is set. */
export function modelResolver(providers: ProviderService): (familiar: { providerId: string | null }) => Promise<ChatModel> {
  return async (familiar) => {
    if (!familiar.providerId) throw new AppError('UNAVAILABLE', 'This familiar has no model provider configured');
    return providers.model(familiar.providerId);
  };
}
