import type { AuditActor, AuditLog } from '../security/audit/types.js';
import type { ChannelSender, PersonCommands, PersonExport } from './core/index.js';

type MetaValue = string | number | boolean;

/** One memory as these commands see it (structural: channels import no memory code). */
interface PersonMemory {
  readonly id: string;
  readonly familiarId: string;
  readonly text: string;
  readonly provenance: string;
  readonly sourceRef: string | null;
  readonly metadata: Readonly<Record<string, MetaValue>>;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** The slice of a memory repository the person's own commands need; every call is scoped to the caller (DATA-4). */
export interface PersonMemoryPort {
  add(input: {
    userId: string;
    familiarId: string;
    text: string;
    provenance: 'person';
    metadata?: Readonly<Record<string, MetaValue>>;
  }): Promise<{ id: string; text: string }>;
  list(query: { userId: string; familiarId?: string | undefined; limit?: number; before?: number }): Promise<readonly PersonMemory[]>;
  get(userId: string, id: string): Promise<PersonMemory | undefined>;
  delete(userId: string, id: string): Promise<boolean>;
  history(userId: string, id: string): Promise<ReadonlyArray<{ version: number; change: string; at: number }> | undefined>;
}

/** Where a memory's turn lives: the caller's own conversations only (structural, like the memory port). */
interface PersonConversationPort {
  get(userId: string, id: string): Promise<{ channel: string; createdAt: number } | undefined>;
  message(
    userId: string,
    conversationId: string,
    messageId: string,
  ): Promise<{ role: string; content: string; createdAt: number } | undefined>;
}

/** Memories per `/memories` page; a page of ten short lines fits one Discord reply. */
const MEMORIES_PAGE = 10;
/** How far `/why N` and `/forget N` reach by number (the repository's largest page). */
const MAX_NUMBERED = 1000;
const SHOWN_CHARS = 160;
const TURN_CHARS = 300;
/** The memory extractor's link to a turn: `conversation:ID/message:ID`. */
const TURN_REF = /^conversation:([^/\s]{1,100})\/message:([^/\s]{1,100})$/;

const ORIGINS: Record<string, string> = {
  person: 'you told me',
  owner: 'an admin of this Hearth wrote it',
  familiar: 'I noted it myself (my memory tool, or from a conversation)',
  external: 'it was imported from outside (treated as untrusted)',
};

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const day = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
const plural = (n: number) => `${n} memor${n === 1 ? 'y' : 'ies'}`;

/**
 * The person's memory rights from any channel (MEM-2, DATA-5): /remember, /memories, /why N,
 * /forget N|everything and /export. Always scoped to the caller's own person id, never another's:
 * a number counts only the caller's memories and a foreign id behaves like a missing one. Every
 * command is audited (`memory.write`, `memory.read`, `memory.explain`, `memory.delete`,
 * `memory.export`: ids, counts and lengths, never text).
 */
export function personCommandsOver(
  memory: PersonMemoryPort,
  familiarId: () => Promise<string>,
  audit?: AuditLog,
  conversations?: PersonConversationPort,
): PersonCommands {
  const actorOf = (userId: string, via: ChannelSender | undefined): AuditActor =>
    via ? { type: 'channel', channel: via.channel, externalId: via.externalId, userId } : { type: 'user', id: userId };
  const source = (via: ChannelSender | undefined) => via?.channel ?? 'channel';
  const record = (
    userId: string,
    via: ChannelSender | undefined,
    action: string,
    target: string,
    details: Record<string, MetaValue> = {},
  ) => audit?.record({ actor: actorOf(userId, via), action, target, outcome: 'success', details: { ...details, source: source(via) } });

  /** The familiar the command is for: the one the adapter routed the message to (issue #22), else the channel's. */
  const familiarOf = async (via: ChannelSender | undefined) => via?.familiarId ?? (await familiarId());
  /** Newest first, up to `limit`, of that familiar's memories of this person. */
  const mine = async (userId: string, limit: number, via: ChannelSender | undefined) =>
    memory.list({ userId, familiarId: await familiarOf(via), limit });

  /** `N` (as /memories numbers them) or a memory id; undefined when it is not one of the caller's. */
  const resolve = async (
    userId: string,
    which: string,
    via: ChannelSender | undefined,
  ): Promise<{ n: number | undefined; m: PersonMemory } | undefined> => {
    const trimmed = which.trim();
    if (/^\d{1,4}$/.test(trimmed)) {
      const n = Number(trimmed);
      if (n < 1 || n > MAX_NUMBERED) return undefined;
      const m = (await mine(userId, n, via))[n - 1];
      return m && { n, m };
    }
    if (!/^[\w-]{1,100}$/.test(trimmed)) return undefined;
    const m = await memory.get(userId, trimmed);
    // the channel shows one familiar's memories; another familiar's is not addressable from here
    return m && m.familiarId === (await familiarOf(via)) ? { n: undefined, m } : undefined;
  };
  const notFound = (which: string) => `I have no memory ${clip(which.trim(), 40)} about you. Send /memories to see the numbers.`;

  /** Channel, time and the turn a memory came from, read through the caller's own conversations. */
  const whereFrom = async (userId: string, m: PersonMemory): Promise<string[]> => {
    const lines: string[] = [];
    const via = m.metadata.channel;
    if (typeof via === 'string') lines.push(`Where: you said it on ${via}.`);
    const turn = m.sourceRef ? TURN_REF.exec(m.sourceRef) : null;
    if (turn && conversations) {
      const [, conversationId, messageId] = turn;
      const conversation = await conversations.get(userId, conversationId!);
      const message = conversation && (await conversations.message(userId, conversationId!, messageId!));
      if (!conversation || !message) lines.push('Where: a conversation that has since been deleted.');
      else {
        lines.push(`Where: a conversation on ${conversation.channel}, ${day(message.createdAt)}.`);
        lines.push(`The turn: ${message.role === 'user' ? 'you wrote' : 'I wrote'} “${clip(message.content, TURN_CHARS)}”`);
      }
    } else if (m.sourceRef) lines.push(`Source: ${clip(m.sourceRef, 120)}`);
    if (typeof m.metadata.supersededBy === 'string') lines.push('It was replaced by something you said later.');
    return lines;
  };

  const forgetAll = async (userId: string, via: ChannelSender | undefined) => {
    let removed = 0;
    for (let round = 0; round < 100; round++) {
      const page = await mine(userId, MAX_NUMBERED, via);
      let gone = 0;
      for (const m of page) {
        if (!(await memory.delete(userId, m.id))) continue;
        gone++;
        await record(userId, via, 'memory.delete', m.id);
      }
      removed += gone;
      if (gone === 0 || page.length < MAX_NUMBERED) break;
    }
    return removed ? `Forgotten: ${plural(removed)}.` : 'I had nothing stored about you.';
  };

  return {
    async remember(userId, text, via) {
      const m = await memory.add({
        userId,
        familiarId: await familiarOf(via),
        text,
        provenance: 'person',
        ...(via ? { metadata: { channel: via.channel } } : {}),
      });
      await record(userId, via, 'memory.write', m.id, { length: m.text.length });
      return 'Noted. I will remember that.';
    },
    async memories(userId, page, via) {
      const p = Math.max(1, Math.min(Math.floor(page) || 1, MAX_NUMBERED / MEMORIES_PAGE));
      const rows = await mine(userId, p * MEMORIES_PAGE + 1, via);
      const shown = rows.slice((p - 1) * MEMORIES_PAGE, p * MEMORIES_PAGE);
      await record(userId, via, 'memory.read', userId, { page: p, count: shown.length });
      if (shown.length === 0) return p === 1 ? 'I remember nothing about you yet.' : `Page ${p} is empty.`;
      const first = (p - 1) * MEMORIES_PAGE + 1;
      const lines = shown.map((m, i) => `${first + i}. ${clip(m.text, SHOWN_CHARS)} (${m.provenance}, ${day(m.createdAt).slice(0, 10)})`);
      const more = rows.length > p * MEMORIES_PAGE ? `\nMore: /memories ${p + 1}.` : '';
      return `What I remember about you (page ${p}):\n${lines.join('\n')}${more}\n/why N: where one came from. /forget N or /forget everything.`;
    },
    async why(userId, which, via) {
      const found = await resolve(userId, which, via);
      if (!found) return notFound(which);
      const { n, m } = found;
      const versions = (await memory.history(userId, m.id))?.length ?? 1;
      await record(userId, via, 'memory.explain', m.id);
      return [
        `${n ? `Memory ${n}` : 'That memory'}: “${clip(m.text, SHOWN_CHARS)}”`,
        `Why I have it: ${ORIGINS[m.provenance] ?? m.provenance}.`,
        `When: ${day(m.createdAt)}${versions > 1 ? `, changed ${versions - 1} time${versions === 2 ? '' : 's'} since (last ${day(m.updatedAt)})` : ''}.`,
        ...(await whereFrom(userId, m)),
      ].join('\n');
    },
    async forget(userId, which, via) {
      const w = which?.trim() ?? '';
      if (w === '' || /^(everything|all)$/i.test(w)) return forgetAll(userId, via);
      const found = await resolve(userId, w, via);
      if (!found || !(await memory.delete(userId, found.m.id))) return notFound(w);
      await record(userId, via, 'memory.delete', found.m.id);
      return `Forgotten: “${clip(found.m.text, SHOWN_CHARS)}”`;
    },
    async export(userId, via) {
      const items = await mine(userId, 50, via);
      return items.length
        ? `What I remember about you:\n${items.map((m, i) => `${i + 1}. ${m.text}`).join('\n')}`
        : 'I remember nothing about you yet.';
    },
    async exportFile(userId, via): Promise<PersonExport> {
      const items = await mine(userId, MAX_NUMBERED, via);
      const memories = [];
      for (const m of items)
        memories.push({
          id: m.id,
          text: m.text,
          provenance: m.provenance,
          sourceRef: m.sourceRef,
          metadata: m.metadata,
          createdAt: new Date(m.createdAt).toISOString(),
          updatedAt: new Date(m.updatedAt).toISOString(),
          history: (await memory.history(userId, m.id)) ?? [],
        });
      await record(userId, via, 'memory.export', userId, { count: memories.length });
      return {
        name: 'hearth-memories.json',
        content: JSON.stringify({ exportedAt: new Date().toISOString(), memories }, null, 2),
        summary: memories.length
          ? `Here is everything I remember about you (${plural(memories.length)}), as a file.`
          : 'I remember nothing about you yet.',
        count: memories.length,
      };
    },
  };
}
