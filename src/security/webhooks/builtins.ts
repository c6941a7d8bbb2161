import { z } from 'zod';
import { AppError, type Invalidator } from '../../core/index.js';
import type { WebhookService } from './service.js';

const invalidateBody = z.strictObject({ scope: z.string().min(1).max(64).optional() });

/** Registers `invalidate` (HOOK-1): every plugin's invalidators drop their cached state for the scope. */
export function registerInvalidateWebhook(webhooks: WebhookService, invalidators: () => readonly Invalidator[]): void {
  webhooks.handle('invalidate', async (payload) => {
    const parsed = invalidateBody.safeParse(payload);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'Expected {"scope"?}');
    const all = invalidators();
    for (const drop of all) await drop(parsed.data.scope);
    return { invalidated: all.length };
  });
}
