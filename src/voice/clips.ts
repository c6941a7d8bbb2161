import { randomBytes } from 'node:crypto';

interface Clip {
  readonly userId: string;
  readonly audio: Buffer;
  readonly contentType: string;
  readonly expiresAt: number;
}

/**
 * Spoken replies waiting to be fetched: each behind an unguessable id, for its own person only, for
 * `ttlMs`; at most `max` kept (the oldest go first). In memory: with several replicas the URL is
 * served by the replica that spoke it.
 */
export function createClipStore(options: { ttlMs: number; max: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const clips = new Map<string, Clip>();
  const sweep = () => {
    const t = now();
    for (const [id, c] of clips) if (c.expiresAt <= t) clips.delete(id);
    while (clips.size > options.max) clips.delete(clips.keys().next().value as string);
  };
  return {
    put(userId: string, audio: Buffer, contentType: string): string {
      const id = randomBytes(18).toString('base64url');
      clips.set(id, { userId, audio, contentType, expiresAt: now() + options.ttlMs });
      sweep();
      return id;
    },
    /** The clip, only for the person it was spoken for and before it expires. */
    get(userId: string, id: string): Clip | undefined {
      sweep();
      const c = clips.get(id);
      return c && c.userId === userId ? c : undefined;
    },
    clear: () => clips.clear(),
  };
}
export type ClipStore = ReturnType<typeof createClipStore>;
