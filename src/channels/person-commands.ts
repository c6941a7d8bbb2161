import type { AuditActor, AuditLog } from '../security/audit/types.js';
import type { ChannelSender, PersonCommands } from './core/index.js';

/** The slice of a memory repository the person's own commands need (structural: channels import no memory code). */
export interface PersonMemoryPort {
  add(input: { userId: string; familiarId: string; text: string; provenance: 'person' }): Promise<{ id: string; text: string }>;
  list(query: { userId: string; familiarId?: string | undefined; limit?: number }): Promise<ReadonlyArray<{ id: string; text: string }>>;
  delete(userId: string, id: string): Promise<boolean>;
}

const MAX_FORGET = 1000;

/**
 * /remember, /forget and /export for the person themself (CH-3): always scoped to the caller's
 * own person id, never another's; replies are ephemeral on Discord. Every memory written or
 * deleted is audited like the HTTP API's (`memory.write`, `memory.delete`: ids and lengths, no text).
 */
export function personCommandsOver(memory: PersonMemoryPort, familiarId: () => Promise<string>, audit?: AuditLog): PersonCommands {
  const actorOf = (userId: string, via: ChannelSender | undefined): AuditActor =>
    via ? { type: 'channel', channel: via.channel, externalId: via.externalId, userId } : { type: 'user', id: userId };
  const source = (via: ChannelSender | undefined) => via?.channel ?? 'channel';
  return {
    async remember(userId, text, via) {
      const m = await memory.add({ userId, familiarId: await familiarId(), text, provenance: 'person' });
      await audit?.record({
        actor: actorOf(userId, via),
        action: 'memory.write',
        target: m.id,
        outcome: 'success',
        details: { length: m.text.length, source: source(via) },
      });
      return 'Noted. I will remember that.';
    },
    async forget(userId, via) {
      const fam = await familiarId();
      const items = await memory.list({ userId, familiarId: fam, limit: MAX_FORGET });
      let removed = 0;
      for (const m of items) {
        if (!(await memory.delete(userId, m.id))) continue;
        removed++;
        await audit?.record({
          actor: actorOf(userId, via),
          action: 'memory.delete',
          target: m.id,
          outcome: 'success',
          details: { source: source(via) },
        });
      }
      return removed ? `Forgotten: ${removed} memor${removed === 1 ? 'y' : 'ies'}.` : 'I had nothing stored about you.';
    },
    async export(userId) {
      const items = await memory.list({ userId, familiarId: await familiarId(), limit: 50 });
      return items.length
        ? `What I remember about you:\n${items.map((m, i) => `${i + 1}. ${m.text}`).join('\n')}`
        : 'I remember nothing about you yet.';
    },
  };
}
