import { sanitizeLogString } from '../../logging/index.js';
import type { Evidence, ProbeRequest, ProbeResponse } from './types.js';

/** Headers whose whole value is a credential. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'x-csrf-token', 'hearth-signature']);
const MASK = '••••';
/** How much of a body the report shows. */
const BODY_SHOWN = 600;

/** A cookie header with every value masked and its attributes kept (the flags are the evidence). */
function maskCookie(value: string, setCookie: boolean): string {
  if (setCookie) return value.replace(/^([^=;]*)=[^;]*/, (_m, name: string) => `${name}=${MASK}`);
  return value
    .split(';')
    .map((pair) => pair.replace(/^(\s*[^=]*)=.*$/, `$1=${MASK}`))
    .join(';');
}

/** One header line for the report: credentials masked, the rest through the log redactor. */
function maskHeader(name: string, value: string): string {
  const n = name.toLowerCase();
  if (SECRET_HEADERS.has(n)) return MASK;
  if (n === 'cookie' || n === 'set-cookie') return maskCookie(value, n === 'set-cookie');
  return sanitizeLogString(value, { maxString: 300 });
}

/** Any text (URL, body) with every secret-looking part masked, cut to `max` characters. */
function maskText(text: string, max = BODY_SHOWN): string {
  return sanitizeLogString(text, { maxString: max, keepNewlines: true });
}

function formatRequest(base: URL, req: ProbeRequest): string {
  // The path as sent: below the base URL's own path when Hearth sits under a prefix.
  const path = base.pathname.replace(/\/+$/, '') + req.path;
  const lines = [`${req.method} ${maskText(path, 300)} HTTP/1.1`, `host: ${base.host}`];
  for (const [k, v] of Object.entries(req.headers ?? {})) lines.push(`${k.toLowerCase()}: ${maskHeader(k, v)}`);
  if (req.body !== undefined && req.body.length > 0) lines.push('', maskText(req.body));
  return lines.join('\n');
}

function formatResponse(res: ProbeResponse): string {
  const lines = [`HTTP/1.1 ${res.status}`];
  for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${maskHeader(k, one)}`);
  if (res.body.length > 0) lines.push('', maskText(res.body));
  return lines.join('\n');
}

export function evidenceOf(base: URL, req: ProbeRequest, res: ProbeResponse | undefined): Evidence {
  return { request: formatRequest(base, req), response: res ? formatResponse(res) : '(no answer)' };
}
