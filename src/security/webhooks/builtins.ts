import { z } from 'zod';
import { AppError } from '../../server/index.js';
import type { WebhookService } from './service.js';

/** Erases one person across Hearth (the memory issue's erasure); returns what was removed. */
export type ErasePerson = (userId: string) => Promise<unknown>;
/** Maps a channel identity to a Hearth user id (identity issue). */
export type ResolveExternalId = (channel: string, externalId: string) => Promise<string | undefined>;

const erasureBody = z.union([
  z.strictObject({ userId: z.string().min(1).max(100) }),
  z.strictObject({ channel: z.string().min(1).max(32), externalId: z.string().min(1).max(200) }),
]);
const invalidateBody = z.strictObject({ scope: z.string().min(1).max(64).optional() });

export interface BuiltinCollaborators {
  /** Late-bound: later wiring sections register the real functions. */
  erasePerson?: ErasePerson;
  resolveExternalId?: ResolveExternalId;
  readonly invalidators: Array<(scope?: string) => Promise<void> | void>;
}

/** Registers `erasure` and `invalidate` (HOOK-1); their collaborators are filled in by later wiring. */
export function registerBuiltinWebhooks(webhooks: WebhookService, collaborators: BuiltinCollaborators): void {
  webhooks.handle('erasure', async (payload) => {
    const parsed = erasureBody.safeParse(payload);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'Expected {"userId"} or {"channel","externalId"}');
    const erase = collaborators.erasePerson;
    if (!erase) throw new AppError('UNAVAILABLE', 'Erasure is not available in this build');
    let userId: string | undefined;
    if ('userId' in parsed.data) userId = parsed.data.userId;
    else userId = await collaborators.resolveExternalId?.(parsed.data.channel, parsed.data.externalId);
    if (!userId) throw new AppError('NOT_FOUND', 'Person not found');
    await erase(userId);
    return { erased: userId };
  });
  webhooks.handle('invalidate', async (payload) => {
    const parsed = invalidateBody.safeParse(payload);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'Expected {"scope"?}');
    for (const drop of collaborators.invalidators) await drop(parsed.data.scope);
    return { invalidated: collaborators.invalidators.length };
  });
}
