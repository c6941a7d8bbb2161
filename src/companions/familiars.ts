import { randomUUID } from 'node:crypto';
import type { Logger } from '../logging/index.js';
import type { Storage } from '../storage/index.js';
import type { AuditActor, AuditLog } from '../security/audit/index.js';
import { AppError, type FamiliarData } from '../core/index.js';
import type { CompanionTables } from './migrations.js';
import type { LoreEntry } from './lorebook.js';
import type { Sampling } from '../providers/index.js';

type InjectionPolicy = 'log' | 'neutralize' | 'refuse';
/** Automatic memory (MEM-2): learn from conversations on its own, never, or ask the person first. */
type MemoryExtraction = 'off' | 'on' | 'ask';

export interface Familiar {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly persona: string;
  readonly providerId: string | null;
  readonly model: string;
  readonly temperature: number | null;
  /** top_p, penalties and stop sequences; null: the provider's defaults. */
  readonly sampling: Sampling | null;
  /** Most output tokens per model call; null: its provider's limit, else HEARTH_TURN_MAX_OUTPUT_TOKENS. */
  readonly maxOutputTokens: number | null;
  readonly allowedTools: readonly string[];
  readonly injectionPolicy: InjectionPolicy;
  readonly memoryExtraction: MemoryExtraction;
  readonly greeting: string | null;
  /** null: every member may chat with it. */
  readonly allowedUsers: readonly string[] | null;
  /** SillyTavern-style example dialogue (mes_example), given to the model as data. */
  readonly exampleDialogue: string | null;
  /** Keyword-triggered context entries (world info), given to the model as data. */
  readonly lorebook: readonly LoreEntry[];
  /** Changes with the avatar image (for its URL); null: no image, initials are shown. */
  readonly avatarHash: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

type FamiliarInput = {
  readonly slug: string;
  readonly name: string;
  readonly persona: string;
  readonly providerId?: string | null | undefined;
  readonly model: string;
  readonly temperature?: number | null | undefined;
  readonly sampling?: Sampling | null | undefined;
  readonly maxOutputTokens?: number | null | undefined;
  readonly allowedTools?: readonly string[] | undefined;
  readonly injectionPolicy?: InjectionPolicy | undefined;
  readonly memoryExtraction?: MemoryExtraction | undefined;
  readonly greeting?: string | null | undefined;
  readonly allowedUsers?: readonly string[] | null | undefined;
  readonly exampleDialogue?: string | null | undefined;
  readonly lorebook?: readonly LoreEntry[] | undefined;
};

/** What a familiar's deletion does with what other concerns hold of it: remove it, or leave it in place. */
type FamiliarDataChoice = 'delete' | 'keep';

/** The outcome of a familiar's deletion: counts by table or kind, never content. */
interface FamiliarRemoval {
  /** `none`: the familiar held nothing, so no choice was needed. */
  readonly data: FamiliarDataChoice | 'none';
  /** With `delete`, what was removed; with `keep`, what was left in place (and stays its owners'). */
  readonly counts: Readonly<Record<string, number>>;
}

export interface FamiliarService {
  list(): Promise<Familiar[]>;
  get(id: string): Promise<Familiar | undefined>;
  bySlug(slug: string): Promise<Familiar | undefined>;
  create(input: FamiliarInput, actor: AuditActor): Promise<Familiar>;
  update(id: string, input: Partial<FamiliarInput>, actor: AuditActor): Promise<Familiar>;
  /** What other concerns hold of the familiar (conversations, memories, notes, tool settings), by kind. */
  dataOf(id: string): Promise<Record<string, number>>;
  /**
   * Deletes a familiar. When anything is held of it, `data` must say what happens to it: `delete`
   * removes it (every familiarData hook, in reverse plugin order, then the familiar row), `keep`
   * leaves it; without a choice it is a 409 carrying the counts. Audited as `familiar.delete` either way.
   */
  remove(
    id: string,
    actor: AuditActor,
    options?: { data?: FamiliarDataChoice | undefined; requestId?: string | undefined },
  ): Promise<FamiliarRemoval>;
  /** Whether a person may chat with it: admins always, members when allowed. */
  canUse(familiar: Familiar, user: { userId: string; role?: string | undefined }): boolean;
}

type Row = CompanionTables['familiars'];

/** The stored form: JSON of the settings that are set; null when none is. */
function samplingColumn(sampling: Sampling | null | undefined): string | null {
  if (!sampling) return null;
  const set = Object.fromEntries(Object.entries(sampling).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
  return Object.keys(set).length ? JSON.stringify(set) : null;
}

function toFamiliar(r: Row): Familiar {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    persona: r.persona,
    providerId: r.provider_id,
    model: r.model,
    temperature: r.temperature === null ? null : Number(r.temperature),
    sampling: r.sampling ? (JSON.parse(r.sampling) as Sampling) : null,
    maxOutputTokens: r.max_output_tokens === null || r.max_output_tokens === undefined ? null : Number(r.max_output_tokens),
    allowedTools: JSON.parse(r.allowed_tools) as string[],
    injectionPolicy: r.injection_policy,
    memoryExtraction: r.memory_extraction ?? 'off',
    greeting: r.greeting,
    allowedUsers: r.allowed_users === null ? null : (JSON.parse(r.allowed_users) as string[]),
    exampleDialogue: r.example_dialogue ?? null,
    lorebook: r.lorebook ? (JSON.parse(r.lorebook) as LoreEntry[]) : [],
    avatarHash: r.avatar_hash ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Familiars: the operator's companions (persona, model, tools, screen policy, who may chat). */
export function createFamiliarService(options: {
  storage: Storage;
  audit: AuditLog;
  now?: () => number;
  /** Every plugin's familiarData hooks, in plugin order; read at call time. */
  familiarData?: () => readonly FamiliarData[];
  logger?: Logger;
}): FamiliarService {
  const db = options.storage.db.withTables<CompanionTables>();
  const now = options.now ?? Date.now;
  const { audit } = options;

  async function unique<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (/unique|duplicate/i.test(String((err as Error).message))) throw new AppError('CONFLICT', 'A familiar with this slug exists');
      throw err;
    }
  }

  const service: FamiliarService = {
    async list() {
      return (await db.selectFrom('familiars').selectAll().orderBy('name').execute()).map(toFamiliar);
    },
    async get(id) {
      const r = await db.selectFrom('familiars').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toFamiliar(r) : undefined;
    },
    async bySlug(slug) {
      const r = await db.selectFrom('familiars').selectAll().where('slug', '=', slug).executeTakeFirst();
      return r ? toFamiliar(r) : undefined;
    },
    async create(input, actor) {
      const t = now();
      const r: Row = {
        id: randomUUID(),
        slug: input.slug,
        name: input.name,
        persona: input.persona,
        provider_id: input.providerId ?? null,
        model: input.model,
        temperature: input.temperature ?? null,
        sampling: samplingColumn(input.sampling),
        max_output_tokens: input.maxOutputTokens ?? null,
        allowed_tools: JSON.stringify(input.allowedTools ?? []),
        injection_policy: input.injectionPolicy ?? 'neutralize',
        memory_extraction: input.memoryExtraction ?? 'off',
        greeting: input.greeting ?? null,
        allowed_users: input.allowedUsers ? JSON.stringify(input.allowedUsers) : null,
        example_dialogue: input.exampleDialogue ?? null,
        lorebook: input.lorebook?.length ? JSON.stringify(input.lorebook) : null,
        avatar_hash: null,
        created_at: t,
        updated_at: t,
      };
      await unique(() => db.insertInto('familiars').values(r).execute());
      await audit.record({ actor, action: 'familiar.create', target: r.id, outcome: 'success', details: { slug: r.slug } });
      return toFamiliar(r);
    },
    async update(id, input, actor) {
      const current = await db.selectFrom('familiars').selectAll().where('id', '=', id).executeTakeFirst();
      if (!current) throw new AppError('NOT_FOUND', 'Familiar not found');
      const patch: Partial<Row> = { updated_at: now() };
      if (input.slug !== undefined) patch.slug = input.slug;
      if (input.name !== undefined) patch.name = input.name;
      if (input.persona !== undefined) patch.persona = input.persona;
      if (input.providerId !== undefined) patch.provider_id = input.providerId;
      if (input.model !== undefined) patch.model = input.model;
      if (input.temperature !== undefined) patch.temperature = input.temperature;
      if (input.sampling !== undefined) patch.sampling = samplingColumn(input.sampling);
      if (input.maxOutputTokens !== undefined) patch.max_output_tokens = input.maxOutputTokens;
      if (input.allowedTools !== undefined) patch.allowed_tools = JSON.stringify(input.allowedTools);
      if (input.injectionPolicy !== undefined) patch.injection_policy = input.injectionPolicy;
      if (input.memoryExtraction !== undefined) patch.memory_extraction = input.memoryExtraction;
      if (input.greeting !== undefined) patch.greeting = input.greeting;
      if (input.allowedUsers !== undefined) patch.allowed_users = input.allowedUsers ? JSON.stringify(input.allowedUsers) : null;
      if (input.exampleDialogue !== undefined) patch.example_dialogue = input.exampleDialogue;
      if (input.lorebook !== undefined) patch.lorebook = input.lorebook.length ? JSON.stringify(input.lorebook) : null;
      await unique(() => db.updateTable('familiars').set(patch).where('id', '=', id).execute());
      await audit.record({ actor, action: 'familiar.update', target: id, outcome: 'success', details: { fields: Object.keys(input) } });
      return toFamiliar({ ...current, ...patch });
    },
    async dataOf(id) {
      const counts: Record<string, number> = {};
      for (const hook of options.familiarData?.() ?? []) Object.assign(counts, await hook.count(id));
      return counts;
    },
    async remove(id, actor, opts = {}) {
      if (!(await service.get(id))) throw new AppError('NOT_FOUND', 'Familiar not found');
      const held = Object.fromEntries(Object.entries(await service.dataOf(id)).filter(([, n]) => n > 0));
      const base = { actor, action: 'familiar.delete', target: id, ...(opts.requestId ? { requestId: opts.requestId } : {}) };
      const choose = 'The familiar has conversations, memories, notes or tool settings; choose data=delete or data=keep';
      if (Object.keys(held).length > 0 && opts.data === undefined) throw new AppError('CONFLICT', choose, { counts: held });
      let counts: Record<string, number> = held;
      if (opts.data === 'delete' && Object.keys(held).length > 0) {
        counts = {};
        // Reverse plugin order, the familiar row last: a failed part leaves the familiar, so the deletion can run again.
        for (const hook of [...(options.familiarData?.() ?? [])].reverse()) {
          try {
            Object.assign(counts, await hook.erase(id));
          } catch (err) {
            await audit.record({ ...base, outcome: 'failure', details: { data: 'delete', part: hook.part } });
            options.logger?.error({ err, part: hook.part, familiarId: id }, 'deleting a familiar failed');
            throw new AppError('INTERNAL', `Deleting the familiar's data failed at ${hook.part}; the familiar is kept, try again`, {
              part: hook.part,
            });
          }
        }
      }
      const res = await db.deleteFrom('familiars').where('id', '=', id).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw new AppError('NOT_FOUND', 'Familiar not found');
      // Its picture is part of the familiar, not data it holds of anyone: it goes with it.
      await db.deleteFrom('familiar_avatars').where('familiar_id', '=', id).execute();
      const data = Object.keys(held).length === 0 ? 'none' : opts.data!;
      await audit.record({ ...base, outcome: 'success', details: { data, [data === 'keep' ? 'kept' : 'removed']: counts } });
      return { data, counts };
    },
    canUse(familiar, user) {
      if (user.role === 'admin' || user.role === 'owner') return true;
      return familiar.allowedUsers === null || familiar.allowedUsers.includes(user.userId);
    },
  };
  return service;
}
