/**
 * Secret hygiene for errors thrown by client libraries (grammY, discord.js, twurple): their
 * messages and URLs may carry the bot token (OpenClaw once logged Telegram tokens). Every token
 * a channel holds is registered with the scrubber and replaced before an error reaches a log line.
 */
export interface SecretScrubber {
  register(token: string): void;
  /** Replaces every registered token (and its URL-encoded form) in a string. */
  scrub(text: string): string;
  /** A loggable view of an error: name, code and a scrubbed message; never the raw object (it may hold request headers). */
  error(err: unknown): { name: string; message: string; code?: string };
}

/** Builds a scrubber; the composition root makes one and hands it to every adapter. */
export function createScrubber(): SecretScrubber {
  const tokens = new Set<string>();
  const scrub = (text: string) => {
    let out = text;
    for (const t of tokens) out = out.split(t).join('[REDACTED]').split(encodeURIComponent(t)).join('[REDACTED]');
    return out;
  };
  return {
    register(token) {
      if (token.length >= 6) tokens.add(token);
    },
    scrub,
    error(err) {
      if (!(err instanceof Error)) return { name: 'Error', message: scrub(String(err)).slice(0, 500) };
      const code = (err as { code?: unknown }).code;
      return {
        name: err.name,
        message: scrub(err.message).slice(0, 500),
        ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
      };
    },
  };
}
