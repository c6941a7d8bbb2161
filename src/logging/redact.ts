/**
 * Redaction and sanitizing for anything that may reach a log line (LOG-1, LOG-2).
 * Secrets are removed by field name at any depth and by pattern inside any string,
 * including error messages and stacks. Patterns are deliberately broad: a false
 * positive costs a less readable log line, a false negative leaks a credential.
 */
import { isSecretFieldName, REDACTED, redactString } from './patterns.js';
import { redactHeaderValue, redactUrl } from './url.js';

// URLs inside text: any with a scheme, and paths with a query string (`/api/x?k=…` in an error message).
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+|(?<![\w/])\/[^\s"'<>?]*\?[^\s"'<>]+/gi;

// C0/C1 controls, DEL, and bidirectional overrides that can disguise log lines.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NEWLINES = /[\r\n\t]+/g;

export interface SanitizeOptions {
  readonly maxString?: number;
  readonly maxDepth?: number;
  readonly maxArray?: number;
  readonly keepNewlines?: boolean;
  /** Set while sanitizing the entries of a `headers` object. */
  readonly inHeaders?: boolean;
}

/** Strips control characters, redacts secrets and truncates one string for logging. */
export function sanitizeLogString(input: string, options: SanitizeOptions = {}): string {
  const max = options.maxString ?? 2_000;
  // Bound the regex work on huge inputs; a generous margin keeps secrets at the cut whole enough to match.
  let s = input.length > max + 512 ? input.slice(0, max + 512) : input;
  const cutChars = input.length - s.length;
  s = s.replace(CONTROL, '');
  if (!options.keepNewlines) s = s.replace(NEWLINES, ' ');
  s = redactString(s.replace(URL_IN_TEXT, redactUrl));
  if (s.length > max || cutChars > 0) s = `${s.slice(0, max)}…[truncated ${s.length - Math.min(max, s.length) + cutChars} chars]`;
  return s;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Turns an error into a plain, redacted object (message, stack, code, cause). */
function serializeError(err: Error, options: SanitizeOptions = {}, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {
    type: err.name,
    message: sanitizeLogString(String(err.message ?? ''), options),
  };
  if (err.stack) out.stack = sanitizeLogString(err.stack, { ...options, keepNewlines: true, maxString: 8_000 });
  const extra = err as Error & { code?: unknown; statusCode?: unknown; cause?: unknown };
  if (typeof extra.code === 'string' || typeof extra.code === 'number') out.code = extra.code;
  if (typeof extra.statusCode === 'number') out.statusCode = extra.statusCode;
  if (extra.cause instanceof Error && depth < 3) out.cause = serializeError(extra.cause, options, depth + 1);
  return out;
}

/**
 * Deep-sanitizes a value for logging: secret fields replaced, strings redacted, control
 * characters stripped, long values truncated, depth and array length bounded.
 */
export function sanitizeForLog(value: unknown, options: SanitizeOptions = {}, depth = 0): unknown {
  const maxDepth = options.maxDepth ?? 6;
  if (typeof value === 'string') return sanitizeLogString(value, options);
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? value.toString() : value;
  }
  if (value instanceof Error) return serializeError(value, options);
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
  if (value instanceof Date) return value.toISOString();
  if (depth >= maxDepth) return '[depth limit]';
  if (Array.isArray(value)) {
    const maxArray = options.maxArray ?? 50;
    const items = value.slice(0, maxArray).map((v) => sanitizeForLog(v, options, depth + 1));
    if (value.length > maxArray) items.push(`…[${value.length - maxArray} more]`);
    return items;
  }
  if (value instanceof Map) return sanitizeForLog(Object.fromEntries(value), options, depth);
  if (!isPlainObject(value)) return `[${value.constructor?.name ?? 'object'}]`;
  const out: Record<string, unknown> = {};
  // Header maps are judged header by header, by name and by value (a key sent under any header name).
  const headers = options.inHeaders === true;
  for (const [k, v] of Object.entries(value)) {
    if (headers && typeof v === 'string') {
      out[sanitizeLogString(k, { maxString: 100 })] = sanitizeLogString(redactHeaderValue(k, v), options);
      continue;
    }
    if (k.toLowerCase() === 'headers' && isPlainObject(v)) {
      out[k] = sanitizeForLog(v, { ...options, inHeaders: true }, depth + 1);
      continue;
    }
    const key = sanitizeLogString(k, { maxString: 100 });
    out[key] = isSecretFieldName(k) && v !== undefined && v !== null && v !== '' ? REDACTED : sanitizeForLog(v, options, depth + 1);
  }
  return out;
}
