import type { RouteModule } from '../../core/index.js';
import { policy } from '../../server/index.js';
import { streamSse } from '../../server/sse.js';

/** How often an open pairings stream reads the pending list (any replica's channel may add one). */
const PAIRINGS_POLL_MS = 1500;
/** A comment frame every so often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * `GET /api/pairings/events` (admins): Server-Sent Events carrying `{ pairings }` now and whenever
 * the pending list changes, so the Pairings page updates without a reload. Pairing requests arrive
 * on whichever replica runs the channel, so the stream reads the shared store rather than waiting
 * for an in-process signal; only a changed list is sent.
 */
export function pairingEventRoutes(pending: () => Promise<unknown[]>, options: { pollMs?: number } = {}): RouteModule {
  const pollMs = options.pollMs ?? PAIRINGS_POLL_MS;
  return (app) => {
    // Open streams end when the server starts closing, so a shutdown never waits for an open dashboard.
    const open = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const close of open) close();
      await new Promise((resolve) => setImmediate(resolve));
    });
    app.get('/api/pairings/events', { config: { policy: policy.admin() } }, (request, reply) =>
      streamSse(request, reply.header('connection', 'close'), async (sse) => {
        let last = '';
        const push = async () => {
          try {
            const data = JSON.stringify({ pairings: await pending() });
            if (data !== last && !sse.signal.aborted) {
              last = data;
              sse.send(data, 'pairings');
            }
          } catch {
            /* the next read tries again */
          }
        };
        await push();
        let close!: () => void;
        const ended = new Promise<void>((resolve) => (close = resolve));
        open.add(close);
        let busy = false;
        const poll = setInterval(() => {
          if (busy) return;
          busy = true;
          void push().finally(() => (busy = false));
        }, pollMs);
        const keepalive = setInterval(() => sse.send({ at: Date.now() }, 'ping'), KEEPALIVE_MS);
        sse.signal.addEventListener('abort', close, { once: true });
        if (sse.signal.aborted) close();
        try {
          await ended;
        } finally {
          clearInterval(poll);
          clearInterval(keepalive);
          open.delete(close);
        }
      }),
    );
  };
}
