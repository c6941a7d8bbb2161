/**
 * What a secret looks like to the logger (LOG-1): field names that always hold one, and the
 * patterns of known credential formats. Shared by the log redaction, the URL redaction and the
 * request-id check, so all three agree.
 */

export const REDACTED = '[REDACTED]';

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
export function isSecretFieldName(name: string): boolean {
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
  [/(?<![A-Za-z])sk-[A-Za-z0-9_-]{12,}/g, REDACTED],
  [/(?<![A-Za-z])hth_[A-Za-z0-9_]{12,}/g, REDACTED],
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
export function redactString(input: string): string {
  let out = input;
  for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
  return out;
}
