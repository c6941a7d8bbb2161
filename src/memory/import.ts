import { z } from 'zod';
import { AppError } from '../core/index.js';
import type { AuditActor, AuditLog } from '../security/audit/types.js';
import { neutralizedNotice, type InjectionScreen } from '../security/screen/index.js';
import { MemoryError } from './errors.js';
import type { MemoryDb } from './tables.js';
import type { MemoryRepository, Metadata, NewMemory } from './types.js';
import { checkMemory } from './validate.js';

/** Rows one import may carry (API and webhook); bigger sets are sent in several imports. */
const MAX_IMPORT_ROWS = 1_000;
/** The external id is kept as the memory's source_ref, under this prefix: the idempotency key, per person. */
const SOURCE_PREFIX = 'import:';

const metaValue = z.union([z.string().max(500), z.number(), z.boolean()]);
const importRow = z.strictObject({
  externalId: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9._:@/-]+$/, 'letters, digits and . _ : @ / -'),
  userId: z.string().min(1).max(100),
  familiarId: z.string().min(1).max(100),
  text: z.string().trim().min(1).max(10_000),
  metadata: z.record(z.string(), metaValue).optional(),
});
type ImportRow = z.infer<typeof importRow>;

/** The envelope both routes accept: `{rows: [...]}`; each row is checked on its own so every error is reported. */
export const importEnvelope = z.strictObject({ rows: z.array(z.unknown()).min(1).max(MAX_IMPORT_ROWS) });

/** Why one row was refused; `index` is its position in `rows`. */
interface ImportRowError {
  readonly index: number;
  readonly externalId?: string;
  readonly reason:
    'ROW_INVALID' | 'MEMORY_INVALID' | 'DUPLICATE_EXTERNAL_ID' | 'PERSON_NOT_FOUND' | 'FAMILIAR_NOT_FOUND' | 'INJECTION_REFUSED';
  /** The offending field, when one is (never its value). */
  readonly field?: string;
  readonly message: string;
}

interface ImportResult {
  readonly imported: number;
  /** Rows whose external id this person already has: left as they are (idempotent). */
  readonly existing: number;
  /** Rows the injection screen flagged and the familiar's policy let in (neutralized or logged). */
  readonly flagged: number;
  readonly results: ReadonlyArray<{ index: number; externalId: string; status: 'imported' | 'existing'; flagged?: true }>;
}

export interface MemoryImporter {
  /**
   * Imports rows as `external` memories (MEM-2), all or nothing: every row is checked (shape, size,
   * person, familiar, the injection screen under the familiar's policy), and if any fails nothing
   * is written and every failure is listed (422, `details.errors`). Otherwise the new rows are
   * written in one transaction; rows already imported for that person are left alone.
   */
  run(rows: readonly unknown[], by: { actor: AuditActor; source: 'api' | 'webhook'; requestId?: string }): Promise<ImportResult>;
}

export function createMemoryImporter(options: {
  repo: MemoryRepository;
  db: MemoryDb;
  audit: AuditLog;
  screen: InjectionScreen;
  personExists: (userId: string) => Promise<boolean>;
  /** The familiar's screen policy, or undefined when there is no such familiar. */
  familiarPolicy: (familiarId: string) => Promise<'log' | 'neutralize' | 'refuse' | undefined>;
}): MemoryImporter {
  const { repo, db, audit, screen } = options;
  // Imports run one at a time in this process, so two deliveries of one row cannot both find it new.
  let queue: Promise<unknown> = Promise.resolve();

  async function existingRefs(userId: string, refs: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < refs.length; i += 500) {
      const rows = await db
        .selectFrom('memory_items')
        .select('source_ref')
        .where('user_id', '=', userId)
        .where('kind', '=', 'memory')
        .where('source_ref', 'in', refs.slice(i, i + 500))
        .execute();
      for (const r of rows) if (r.source_ref) found.add(r.source_ref);
    }
    return found;
  }

  async function check(raw: readonly unknown[]) {
    const errors: ImportRowError[] = [];
    const rows: Array<{ index: number; row: ImportRow; text: string; flagged: boolean }> = [];
    const seen = new Set<string>();
    const people = new Map<string, boolean>();
    const policies = new Map<string, Awaited<ReturnType<typeof options.familiarPolicy>>>();
    for (const [index, value] of raw.entries()) {
      const parsed = importRow.safeParse(value);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.length ? issue.path.join('.') : undefined;
        const externalId = (value as { externalId?: unknown } | null)?.externalId;
        errors.push({
          index,
          ...(typeof externalId === 'string' && externalId.length <= 200 ? { externalId } : {}),
          reason: 'ROW_INVALID',
          ...(field ? { field } : {}),
          message: field ? `invalid ${field}` : 'a row must be an object',
        });
        continue;
      }
      const row = parsed.data;
      const at = { index, externalId: row.externalId };
      try {
        checkMemory(row.text, row.metadata as Metadata | undefined);
      } catch (err) {
        if (!(err instanceof MemoryError)) throw err;
        errors.push({ ...at, reason: 'MEMORY_INVALID', message: err.message });
        continue;
      }
      const key = `${row.userId}\u0000${row.externalId}`;
      if (seen.has(key)) {
        errors.push({
          ...at,
          reason: 'DUPLICATE_EXTERNAL_ID',
          field: 'externalId',
          message: 'this external id appears twice for one person',
        });
        continue;
      }
      seen.add(key);
      if (!people.has(row.userId)) people.set(row.userId, await options.personExists(row.userId));
      if (!people.get(row.userId)) {
        errors.push({ ...at, reason: 'PERSON_NOT_FOUND', field: 'userId', message: 'no such person' });
        continue;
      }
      if (!policies.has(row.familiarId)) policies.set(row.familiarId, await options.familiarPolicy(row.familiarId));
      const policy = policies.get(row.familiarId);
      if (!policy) {
        errors.push({ ...at, reason: 'FAMILIAR_NOT_FOUND', field: 'familiarId', message: 'no such familiar' });
        continue;
      }
      // LLM-2: outside text is screened; the familiar's policy decides, as for a chat message.
      const verdict = screen.screen(row.text);
      if (verdict.flagged && policy === 'refuse') {
        errors.push({
          ...at,
          reason: 'INJECTION_REFUSED',
          field: 'text',
          message: `flagged by the prompt-injection screen (score ${verdict.score}); this familiar refuses flagged text`,
        });
        continue;
      }
      const text = verdict.flagged && policy === 'neutralize' ? neutralizedNotice(row.text, verdict) : row.text;
      if (text.length > 10_000) {
        errors.push({ ...at, reason: 'MEMORY_INVALID', field: 'text', message: 'text is too long once marked as flagged' });
        continue;
      }
      rows.push({ index, row, text, flagged: verdict.flagged });
    }
    return { errors, rows };
  }

  async function run(raw: readonly unknown[], by: Parameters<MemoryImporter['run']>[1]): Promise<ImportResult> {
    if (raw.length === 0 || raw.length > MAX_IMPORT_ROWS)
      throw new AppError('VALIDATION_FAILED', `an import holds 1 to ${MAX_IMPORT_ROWS} rows`);
    const { errors, rows } = await check(raw);
    const base = { actor: by.actor, action: 'memory.import', ...(by.requestId ? { requestId: by.requestId } : {}) };
    if (errors.length > 0) {
      await audit.record({ ...base, outcome: 'failure', details: { source: by.source, rows: raw.length, errors: errors.length } });
      throw new AppError('UNPROCESSABLE', `${errors.length} of ${raw.length} rows were refused; nothing was imported`, { errors });
    }
    const byPerson = new Map<string, string[]>();
    for (const { row } of rows) byPerson.set(row.userId, [...(byPerson.get(row.userId) ?? []), SOURCE_PREFIX + row.externalId]);
    const existing = new Set<string>();
    for (const [userId, refs] of byPerson) for (const ref of await existingRefs(userId, refs)) existing.add(`${userId}\u0000${ref}`);
    const isExisting = (row: ImportRow) => existing.has(`${row.userId}\u0000${SOURCE_PREFIX}${row.externalId}`);
    const fresh: NewMemory[] = rows
      .filter(({ row }) => !isExisting(row))
      .map(({ row, text }) => ({
        userId: row.userId,
        familiarId: row.familiarId,
        text,
        metadata: row.metadata,
        provenance: 'external',
        sourceRef: SOURCE_PREFIX + row.externalId,
      }));
    // One transaction for every new row: nothing is half-imported.
    const imported = await repo.addMany(fresh);
    const flagged = rows.filter((r) => r.flagged && !isExisting(r.row)).length;
    await audit.record({
      ...base,
      outcome: 'success',
      details: {
        source: by.source,
        rows: raw.length,
        imported,
        existing: rows.length - fresh.length,
        flagged,
        length: fresh.reduce((n, m) => n + m.text.length, 0),
      },
    });
    return {
      imported,
      existing: rows.length - fresh.length,
      flagged,
      results: rows.map(({ index, row, flagged: f }) => ({
        index,
        externalId: row.externalId,
        status: isExisting(row) ? ('existing' as const) : ('imported' as const),
        ...(f && !isExisting(row) ? { flagged: true as const } : {}),
      })),
    };
  }

  return {
    run(raw, by) {
      const next = queue.then(() => run(raw, by));
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
