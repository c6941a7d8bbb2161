import { randomUUID } from 'node:crypto';
import type { ChatModel } from '../../providers/index.js';
import type { AuditLog } from '../../security/audit/index.js';
import type { InjectionScreen } from '../../security/screen/index.js';
import type { Logger } from '../../logging/index.js';
import type { Storage } from '../../storage/index.js';
import type { MemoryCipher, MemoryEncryption } from '../encryption.js';
import type { Memory, MemoryRepository } from '../types.js';
import type { ExtractionTables } from './migrations.js';
import { extractionMessages, isDuplicate, parseFacts, type ExtractedFact } from './prompt.js';

/** Per familiar: learn on its own, never, or only what the person confirms. */
type ExtractionMode = 'off' | 'on' | 'ask';

export interface Exchange {
  readonly userId: string;
  readonly familiarId: string;
  readonly conversationId: string;
  readonly userMessageId: string;
  readonly replyMessageId: string;
}

interface MemoryProposal {
  readonly id: string;
  readonly familiarId: string;
  readonly text: string;
  readonly supersedes: string | null;
  readonly sourceRef: string;
  readonly createdAt: number;
}

interface ExtractionOutcome {
  added: number;
  superseded: number;
  merged: number;
  flagged: number;
  proposed: number;
}

export interface MemoryExtractor {
  /** Queues an exchange (after the reply is stored); never waits for the model. */
  enqueue(exchange: Exchange): Promise<void>;
  /** Runs queued jobs until the queue is empty (the worker does this on its own; tests call it). */
  drain(): Promise<number>;
  proposals(userId: string): Promise<MemoryProposal[]>;
  /** Stores a proposal as a memory; undefined when it is not the person's. */
  accept(userId: string, proposalId: string): Promise<Memory | undefined>;
  reject(userId: string, proposalId: string): Promise<boolean>;
  /** Removes a person's queued jobs and proposals (erasure). */
  erasePerson(userId: string): Promise<number>;
  /** Moves a person's queued extractions and pending proposals to another person (#15 merge). */
  reassignPerson(from: string, to: string): Promise<number>;
  stop(): Promise<void>;
}

export interface ExtractorOptions {
  readonly storage: Storage;
  readonly repo: MemoryRepository;
  readonly screen: InjectionScreen;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly now: () => number;
  /**
   * The familiar's mode and model; undefined when the familiar is gone. `chat` is the model as
   * charged to this person's budget with this familiar (the same guard as a turn's model call).
   */
  readonly familiar: (
    id: string,
  ) => Promise<{ mode: ExtractionMode; model: string; chat: (userId: string) => Promise<ChatModel> } | undefined>;
  /** The two messages of the exchange, read when the job runs (so a deleted conversation teaches nothing). */
  readonly message: (userId: string, conversationId: string, messageId: string) => Promise<{ content: string } | undefined>;
  readonly intervalMs?: number;
  /** PostgreSQL with HEARTH_DATABASE_ENCRYPTION=on: proposal texts are stored sealed (DATA-2). */
  readonly encryption?: MemoryEncryption | undefined;
}

/** A spent budget (BUDGET_EXCEEDED from the guard): the extraction is skipped, not retried. */
const budgetRefusal = (err: unknown): string | undefined => {
  const e = err as { code?: unknown; details?: { reason?: unknown } };
  if (e?.code !== 'BUDGET_EXCEEDED') return undefined;
  return typeof e.details?.reason === 'string' ? e.details.reason : 'BUDGET_EXCEEDED';
};

/** Known memories shown to the model, newest first. */
const KNOWN = 40;
const MAX_ATTEMPTS = 3;
const EXTRACTION_TOKENS = 400;
const EXTRACTION_TIMEOUT_MS = 30_000;

/**
 * Automatic memory (MEM-2): after a turn, off the reply path, the familiar's model reads the
 * exchange and names durable facts about the person. Each is screened (LLM-2) before it is kept;
 * a restatement of a known fact merges into it, a contradiction supersedes the old text (kept in
 * the memory's history with the reason and the turn it came from), nothing is deleted. Jobs live
 * in the database, so a restart loses none; a job that keeps failing is dropped after 3 tries.
 */
export function createMemoryExtractor(options: ExtractorOptions): MemoryExtractor {
  const db = options.storage.db.withTables<ExtractionTables>();
  const { repo, screen, audit, logger, now } = options;
  let running: Promise<number> | undefined;
  let stopped = false;
  const cipher = async (): Promise<MemoryCipher | undefined> => options.encryption?.cipher();

  async function ask(
    userId: string,
    familiarId: string,
    exchange: { userText: string; replyText: string },
    known: Memory[],
  ): Promise<ExtractedFact[]> {
    const familiar = await options.familiar(familiarId);
    if (!familiar) return [];
    const model = await familiar.chat(userId);
    let answer = '';
    for await (const event of model.stream({
      model: familiar.model,
      messages: extractionMessages({ ...exchange, known: known.map((m) => ({ id: m.id, text: m.text })) }),
      maxTokens: EXTRACTION_TOKENS,
      temperature: 0,
      signal: AbortSignal.timeout(EXTRACTION_TIMEOUT_MS),
    }))
      if (event.type === 'delta') answer += event.text;
    return parseFacts(answer);
  }

  /** Applies one fact: merge, supersede or add. */
  async function keep(
    userId: string,
    familiarId: string,
    fact: ExtractedFact,
    sourceRef: string,
    known: Memory[],
    outcome: ExtractionOutcome,
  ): Promise<Memory | undefined> {
    const same = known.find((m) => isDuplicate(m.text, fact.text));
    if (same) {
      outcome.merged++;
      return repo.update(userId, same.id, { metadata: { ...same.metadata, confirmedBy: sourceRef } });
    }
    const old = fact.replaces ? known.find((m) => m.id === fact.replaces) : undefined;
    if (old) {
      outcome.superseded++;
      // The old text stays in the memory's history; the reason and the turn are on the new version.
      return repo.update(userId, old.id, {
        text: fact.text,
        metadata: { ...old.metadata, extracted: true, supersededBy: sourceRef, reason: 'contradicted by a later conversation' },
      });
    }
    outcome.added++;
    const added = await repo.add({
      userId,
      familiarId,
      text: fact.text,
      provenance: 'familiar',
      sourceRef,
      metadata: { extracted: true },
    });
    known.unshift(added);
    return added;
  }

  async function run(job: ExtractionTables['memory_extract_queue']): Promise<void> {
    const familiar = await options.familiar(job.familiar_id);
    if (!familiar || familiar.mode === 'off') return;
    const [said, replied] = await Promise.all([
      options.message(job.user_id, job.conversation_id, job.user_message_id),
      options.message(job.user_id, job.conversation_id, job.reply_message_id),
    ]);
    if (!said || !replied) return;
    const known = (await repo.list({ userId: job.user_id, familiarId: job.familiar_id, kinds: ['memory'], limit: KNOWN })).slice();
    const facts = await ask(job.user_id, job.familiar_id, { userText: said.content, replyText: replied.content }, known);
    const sourceRef = `conversation:${job.conversation_id}/message:${job.user_message_id}`;
    const outcome: ExtractionOutcome = { added: 0, superseded: 0, merged: 0, flagged: 0, proposed: 0 };
    for (const fact of facts) {
      // A "fact" that reads as instructions is an injection riding on memory: never stored.
      if (screen.screen(fact.text).flagged) {
        outcome.flagged++;
        continue;
      }
      if (familiar.mode === 'ask') {
        outcome.proposed++;
        const id = randomUUID();
        const c = await cipher();
        await db
          .insertInto('memory_proposals')
          .values({
            id,
            user_id: job.user_id,
            familiar_id: job.familiar_id,
            text: c ? c.seal('memory_proposals.text', id, fact.text) : fact.text,
            supersedes: fact.replaces && known.some((m) => m.id === fact.replaces) ? fact.replaces : null,
            source_ref: sourceRef,
            created_at: now(),
          })
          .execute();
        continue;
      }
      await keep(job.user_id, job.familiar_id, fact, sourceRef, known, outcome);
    }
    if (facts.length > 0)
      await audit.record({
        actor: { type: 'system' },
        action: 'memory.extracted',
        target: job.conversation_id,
        outcome: outcome.flagged > 0 ? 'denied' : 'success',
        details: { personId: job.user_id, familiarId: job.familiar_id, ...outcome },
      });
  }

  async function drainAll(): Promise<number> {
    let done = 0;
    while (!stopped) {
      const job = await db
        .selectFrom('memory_extract_queue')
        .selectAll()
        .where('attempts', '<', MAX_ATTEMPTS)
        .orderBy('enqueued_at')
        .limit(1)
        .executeTakeFirst();
      if (!job) break;
      try {
        await run(job);
        await db.deleteFrom('memory_extract_queue').where('id', '=', job.id).execute();
        done++;
      } catch (err) {
        const refused = budgetRefusal(err);
        if (refused) {
          // The guard refused before the provider was asked (and audited budget.refused): the job
          // is dropped, not queued until the budget resets, and the skip is on the record.
          await db.deleteFrom('memory_extract_queue').where('id', '=', job.id).execute();
          await audit.record({
            actor: { type: 'system' },
            action: 'memory.extraction_skipped',
            target: job.conversation_id,
            outcome: 'denied',
            details: { personId: job.user_id, familiarId: job.familiar_id, reason: refused },
          });
          logger.info({ conversationId: job.conversation_id, reason: refused }, 'memory extraction skipped: the budget is spent');
          done++;
          continue;
        }
        logger.warn({ err: (err as Error).message, conversationId: job.conversation_id }, 'memory extraction failed; will retry');
        await db
          .updateTable('memory_extract_queue')
          .set({ attempts: job.attempts + 1 })
          .where('id', '=', job.id)
          .execute();
        if (job.attempts + 1 >= MAX_ATTEMPTS) await db.deleteFrom('memory_extract_queue').where('id', '=', job.id).execute();
        break;
      }
    }
    return done;
  }
  function drain(): Promise<number> {
    running ??= drainAll().finally(() => {
      running = undefined;
    });
    return running;
  }
  const kick = () => {
    if (!stopped && !running) void drain().catch((err: unknown) => logger.error({ err }, 'memory extraction worker failed'));
  };
  const timer = setInterval(kick, options.intervalMs ?? 5_000);
  timer.unref();

  const proposal = (c: MemoryCipher | undefined, r: ExtractionTables['memory_proposals']): MemoryProposal => ({
    id: r.id,
    familiarId: r.familiar_id,
    text: c ? c.open('memory_proposals.text', r.id, r.text) : r.text,
    supersedes: r.supersedes,
    sourceRef: r.source_ref,
    createdAt: Number(r.created_at),
  });

  return {
    async enqueue(exchange) {
      const familiar = await options.familiar(exchange.familiarId);
      if (!familiar || familiar.mode === 'off') return;
      await db
        .insertInto('memory_extract_queue')
        .values({
          id: randomUUID(),
          user_id: exchange.userId,
          familiar_id: exchange.familiarId,
          conversation_id: exchange.conversationId,
          user_message_id: exchange.userMessageId,
          reply_message_id: exchange.replyMessageId,
          attempts: 0,
          enqueued_at: now(),
        })
        .execute();
      if (options.intervalMs !== 0) setImmediate(kick);
    },
    drain,
    async proposals(userId) {
      const rows = await db.selectFrom('memory_proposals').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
      const c = await cipher();
      return rows.map((r) => proposal(c, r));
    },
    async accept(userId, proposalId) {
      const row = await db
        .selectFrom('memory_proposals')
        .selectAll()
        .where('id', '=', proposalId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!row) return undefined;
      const known = await repo.list({ userId, familiarId: row.familiar_id, kinds: ['memory'], limit: KNOWN });
      const outcome: ExtractionOutcome = { added: 0, superseded: 0, merged: 0, flagged: 0, proposed: 0 };
      const kept = await keep(
        userId,
        row.familiar_id,
        { text: proposal(await cipher(), row).text, replaces: row.supersedes },
        row.source_ref,
        known.slice(),
        outcome,
      );
      await db.deleteFrom('memory_proposals').where('id', '=', proposalId).execute();
      await audit.record({
        actor: { type: 'user', id: userId },
        action: 'memory.proposal_accepted',
        target: kept?.id ?? proposalId,
        outcome: 'success',
        details: { familiarId: row.familiar_id, ...outcome },
      });
      return kept;
    },
    async reject(userId, proposalId) {
      const res = await db.deleteFrom('memory_proposals').where('id', '=', proposalId).where('user_id', '=', userId).executeTakeFirst();
      const removed = Number(res.numDeletedRows) > 0;
      if (removed)
        await audit.record({
          actor: { type: 'user', id: userId },
          action: 'memory.proposal_rejected',
          target: proposalId,
          outcome: 'success',
        });
      return removed;
    },
    async reassignPerson(from, to) {
      const a = await db.updateTable('memory_extract_queue').set({ user_id: to }).where('user_id', '=', from).executeTakeFirst();
      const b = await db.updateTable('memory_proposals').set({ user_id: to }).where('user_id', '=', from).executeTakeFirst();
      return Number(a.numUpdatedRows) + Number(b.numUpdatedRows);
    },
    async erasePerson(userId) {
      const a = await db.deleteFrom('memory_extract_queue').where('user_id', '=', userId).executeTakeFirst();
      const b = await db.deleteFrom('memory_proposals').where('user_id', '=', userId).executeTakeFirst();
      return Number(a.numDeletedRows) + Number(b.numDeletedRows);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
