/**
 * URL and header redaction for log lines (LOG-1): a request's URL and headers are attacker-chosen,
 * so a secret may sit in any query parameter, path segment or header, under any name. Each part is
 * judged after percent-decoding, by its name (a secret field name) and by its value (a credential
 * by shape, `looksLikeCredential`); what is not a secret keeps its original spelling.
 */
import { looksLikeCredential, percentDecode } from './credentials.js';
import { isSecretFieldName, REDACTED } from './patterns.js';

/** Parameter names that carry credentials in URLs beyond the logger's field names. */
const URL_SECRET_NAMES = new Set(['sid', 'session', 'auth', 'jwt', 'pass', 'pw', 'sig', 'code', 'ticket']);

function isSecretParamName(raw: string): boolean {
  const name = percentDecode(raw, true).trim();
  return isSecretFieldName(name) || URL_SECRET_NAMES.has(name.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/** A query value is judged as servers read it (`+` is a space) and as written (`+` inside base64). */
const credentialValue = (raw: string) => looksLikeCredential(percentDecode(raw, true)) || looksLikeCredential(percentDecode(raw));

/** One `name=value` (or bare `value`) of a query string or a path segment's parameters. */
function redactPair(pair: string): string {
  const eq = pair.indexOf('=');
  if (eq < 0) return credentialValue(pair) ? REDACTED : pair;
  const name = pair.slice(0, eq);
  const value = pair.slice(eq + 1);
  if (value === '') return pair;
  return isSecretParamName(name) || credentialValue(value) ? `${name}=${REDACTED}` : pair;
}

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((part) => redactPair(part))
    .join('&');
}

const USER_PASSWORD = /:[^@]*@/;

/** Path segments: a credential by shape, one after a segment named like a secret (`/password/…`), or `name=value` parameters. */
function redactPath(path: string): string {
  const segments = path.split('/');
  let afterSecretName = false;
  return segments
    .map((segment) => {
      if (segment === '') return segment;
      const decoded = percentDecode(segment);
      let out = segment;
      // `user:password@host` (a scheme-relative URL or a pasted one) counts as a credential too.
      if (afterSecretName || USER_PASSWORD.test(decoded) || looksLikeCredential(decoded)) out = REDACTED;
      else if (/[=;]/.test(decoded)) out = segment.split(';').map(redactPair).join(';');
      afterSecretName = isSecretParamName(segment);
      return out;
    })
    .join('/');
}

/** The URL as it may be logged: credentials in the user info, path and query replaced by `[REDACTED]`. */
export function redactUrl(url: string): string {
  let hash = '';
  const hashAt = url.indexOf('#');
  let rest = url;
  if (hashAt >= 0) {
    hash = `#${redactQuery(url.slice(hashAt + 1))}`;
    rest = url.slice(0, hashAt);
  }
  const q = rest.indexOf('?');
  let path = q >= 0 ? rest.slice(0, q) : rest;
  const query = q >= 0 ? `?${redactQuery(rest.slice(q + 1))}` : '';
  let prefix = '';
  const scheme = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (scheme) {
    prefix = scheme[0].replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@]*@/i, `$1${REDACTED}@`);
    path = path.slice(scheme[0].length);
  }
  return `${prefix}${redactPath(path)}${query}${hash}`;
}

/** Headers whose values are URLs. */
const URL_HEADERS = new Set(['referer', 'referrer', 'location', 'origin', 'content-location']);

/** A header's value as it may be logged: secret names and credential-shaped values replaced. */
export function redactHeaderValue(name: string, value: string): string {
  if (isSecretFieldName(name)) return REDACTED;
  if (URL_HEADERS.has(name.toLowerCase())) return redactUrl(value);
  return looksLikeCredential(percentDecode(value)) ? REDACTED : value;
}
