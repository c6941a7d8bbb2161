import { createHmac, timingSafeEqual } from 'node:crypto';

/** Largest clock difference accepted, either way (HOOK-1). */
export const WEBHOOK_WINDOW_SECONDS = 300;

export type SignatureCheck =
  | { readonly ok: true; readonly timestamp: number; readonly signature: string }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

/** Computes the v1 signature: hex HMAC-SHA256 of `<t>.<raw body>`. */
export function signWebhook(secret: string, timestamp: number, body: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The header value a sender attaches: `t=<unix seconds>,v1=<hex>`. */
export function signatureHeader(secret: string, body: Buffer | string, nowSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${nowSeconds},v1=${signWebhook(secret, nowSeconds, body)}`;
}

/**
 * Checks `Hearth-Signature` against the raw body bytes: timestamp within 5 minutes, then a
 * constant-time comparison of every v1 value (several allow a sender to roll secrets).
 */
export function checkSignature(header: string | undefined, secret: string, body: Buffer, nowMs: number): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  if (header.length > 1_000) return { ok: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const [k, v, ...rest] = part.trim().split('=');
    if (rest.length > 0 || v === undefined) return { ok: false, reason: 'malformed' };
    if (k === 't') {
      if (!/^\d{1,12}$/.test(v) || timestamp !== undefined) return { ok: false, reason: 'malformed' };
      timestamp = Number(v);
    } else if (k === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(v)) return { ok: false, reason: 'malformed' };
      candidates.push(Buffer.from(v, 'hex'));
    }
  }
  if (timestamp === undefined || candidates.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowMs / 1000 - timestamp) > WEBHOOK_WINDOW_SECONDS) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signWebhook(secret, timestamp, body), 'hex');
  let match: Buffer | undefined;
  for (const c of candidates) if (timingSafeEqual(c, expected)) match = c;
  if (!match) return { ok: false, reason: 'mismatch' };
  return { ok: true, timestamp, signature: match.toString('hex') };
}
