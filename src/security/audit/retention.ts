import type { Logger } from '../../logging/index.js';
import type { AuditService } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Prunes entries older than `days` now and every `intervalMs` (6 h) behind a signed checkpoint;
 * `days` 0 keeps everything. Returns the stop function for the composition root.
 */
export function startAuditRetention(options: {
  audit: AuditService;
  days: number;
  logger: Logger;
  now?: () => number;
  intervalMs?: number;
}): () => void {
  const { audit, days, logger } = options;
  if (days <= 0) return () => undefined;
  const now = options.now ?? Date.now;
  let running: Promise<void> | undefined;
  const run = () => {
    if (running) return;
    running = audit
      .prune(now() - days * DAY_MS)
      .then(async (n) => {
        if (n > 0) {
          logger.info({ pruned: n, days }, 'audit retention pruned old entries');
          await audit.record({ actor: { type: 'system' }, action: 'audit.prune', outcome: 'success', details: { pruned: n, days } });
        }
      })
      .catch((err: unknown) => logger.error({ err }, 'audit retention failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(run, 1_000);
  first.unref();
  const timer = setInterval(run, options.intervalMs ?? 6 * 60 * 60 * 1000);
  timer.unref();
  return async () => {
    clearTimeout(first);
    clearInterval(timer);
    await running;
  };
}
