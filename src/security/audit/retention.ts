import type { JobDefinition } from '../../jobs/index.js';
import type { Logger } from '../../logging/index.js';
import type { AuditService } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The audit retention job: prunes entries older than `days` behind a signed checkpoint, a second
 * after start and every `intervalMs` (6 h); undefined when `days` is 0 (keep everything). Pruning
 * is idempotent, so a run repeated after a crash prunes nothing more.
 */
export function auditRetentionJob(options: {
  audit: AuditService;
  days: number;
  logger: Logger;
  now?: () => number;
  intervalMs?: number;
}): JobDefinition | undefined {
  const { audit, days, logger } = options;
  if (days <= 0) return undefined;
  const now = options.now ?? Date.now;
  return {
    name: 'audit-retention',
    atStartMs: 1_000,
    everyMs: options.intervalMs ?? 6 * 60 * 60 * 1000,
    async run() {
      const n = await audit.prune(now() - days * DAY_MS);
      if (n > 0) {
        logger.info({ pruned: n, days }, 'audit retention pruned old entries');
        await audit.record({ actor: { type: 'system' }, action: 'audit.prune', outcome: 'success', details: { pruned: n, days } });
      }
    },
  };
}
