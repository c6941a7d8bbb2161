import { z } from 'zod';
import { AppError } from '../core/index.js';
import type { WebhookService } from '../security/webhooks/index.js';

const erasureBody = z.union([
  z.strictObject({ userId: z.string().min(1).max(100) }),
  z.strictObject({ channel: z.string().min(1).max(32), externalId: z.string().min(1).max(200) }),
]);

/** Registers the signed `erasure` webhook (HOOK-1, DATA-5): a person by id, or by a channel identity. */
export function registerErasureWebhook(
  webhooks: WebhookService,
  deps: {
    erase: (userId: string) => Promise<unknown>;
    resolveExternalId: (channel: string, externalId: string) => Promise<string | undefined>;
  },
): void {
  webhooks.handle('erasure', async (payload) => {
    const parsed = erasureBody.safeParse(payload);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'Expected {"userId"} or {"channel","externalId"}');
    const userId = 'userId' in parsed.data ? parsed.data.userId : await deps.resolveExternalId(parsed.data.channel, parsed.data.externalId);
    if (!userId) throw new AppError('NOT_FOUND', 'Person not found');
    await deps.erase(userId);
    return { erased: userId };
  });
}
