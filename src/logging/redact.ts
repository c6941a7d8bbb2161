/**
 * Redaction and sanitizing for anything that may reach a log line (LOG-1, LOG-2).
 * Secrets are removed by field name at any depth and by pattern inside any string,
 * including error messages and stacks. Patterns are deliberately broad: a false
 * positive costs a less readable log line, a false negative leaks a credential.
 */

const REDACTED = '[REDACTED]';

const SECRET_FIELD_NAMES = new Set([
  'authorization',
  'proxyauthorization',
  'cookie',
  'setcookie',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'token',
  'secret',
  'apikey',
  'xapikey',
  'key',
  'privatekey',
  'masterkey',
  'clientsecret',
  'sessionid',
  'credentials',
  'credential',
  'otp',
  'csrftoken',
  'xcsrftoken',
  'signature',
  'hearthsignature',
]);
const SECRET_FIELD_SUFFIXES = [
  'token',
  'secret',
  'password',
  'passwd',
  'apikey',
  'privatekey',
  'masterkey',
  'cookie',
  'authorization',
  'credentials',
];

/** True when a field of this name holds a secret, whatever its value looks like. */
function isSecretFieldName(name: string): boolean {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (SECRET_FIELD_NAMES.has(n)) return true;
  return SECRET_FIELD_SUFFIXES.some((s) => n.endsWith(s));
}

const SECRET_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = [
  // URLs carrying credentials: scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:)[^@\s/]+@/gi, `$1${REDACTED}@`],
  // Authorization schemes
  [/\b(Bearer|Basic|Bot|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
  // JSON Web Tokens
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // Discord bot tokens (base64 id . timestamp . hmac) and similar three-part tokens
  [/(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{20,}/g, REDACTED],
  // Telegram bot tokens, also inside /bot<token>/ API paths
  [/(?<![A-Za-z0-9_])(bot)?\d{5,12}:[A-Za-z0-9_-]{30,}/g, REDACTED],
  // Provider and platform keys
  [/\bsk-[A-Za-z0-9_-]{12,}/g, REDACTED],
  [/\bhth_[A-Za-z0-9_]{12,}/g, REDACTED],
  [/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, REDACTED],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bAKIA[0-9A-Z]{16}\b/g, REDACTED],
  [/\boauth:[a-z0-9]{20,}/gi, REDACTED],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // key=value and "key": "value" forms for secret-looking names
  [
    /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|session[_-]?id|signature|auth))(=|:\s*)("?)[^&\s"',;]+/gi,
    `$1$2$3${REDACTED}`,
  ],
  [
    /("[A-Za-z0-9_-]*?(?:password|passwd|secret|token|api[_-]?key|apikey|authorization|cookie)"\s*:\s*")(?:[^"\\]|\\.)*"/gi,
    `$1${REDACTED}"`,
  ],
  [/\b(cookie|set-cookie):\s*[^\r\n]+/gi, `$1: ${REDACTED}`],
];

/** Removes every secret-looking substring. */
function redactString(input: string): string {
  let out = input;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

// C0/C1 controls, DEL, and bidirectional overrides that can disguise log lines.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const NEWLINES = /[\r\n\t]+/g;

export interface SanitizeOptions {
  readonly maxString?: number;
  readonly maxDepth?: number;
  readonly maxArray?: number;
  readonly keepNewlines?: boolean;
}

/** Strips control characters, redacts secrets and truncates one string for logging. */
export function sanitizeLogString(input: string, options: SanitizeOptions = {}): string {
  const max = options.maxString ?? 2_000;
  // Bound the regex work on huge inputs; a generous margin keeps secrets at the cut whole enough to match.
  let s = input.length > max + 512 ? input.slice(0, max + 512) : input;
  const cutChars = input.length - s.length;
  s = s.replace(CONTROL, '');
  if (!options.keepNewlines) s = s.replace(NEWLINES, ' ');
  s = redactString(s);
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
  for (const [k, v] of Object.entries(value)) {
    const key = sanitizeLogString(k, { maxString: 100 });
    out[key] = isSecretFieldName(k) && v !== undefined && v !== null && v !== '' ? REDACTED : sanitizeForLog(v, options, depth + 1);
  }
  return out;
}
