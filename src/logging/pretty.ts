/**
 * Human-readable log lines for a terminal. The formatter reads the JSON lines pino has already
 * built — after every argument passed through the redaction of `redact.ts` — so pretty output
 * shows exactly what the JSON would, never more. Each shown value is sanitized once more (control
 * characters, which a terminal would interpret, are stripped; secret patterns stay redacted).
 */
import { sanitizeLogString } from './redact.js';

export type LogFormat = 'pretty' | 'json';
/** HEARTH_LOG_FORMAT: auto means pretty on a terminal, JSON lines otherwise. */
type LogFormatSetting = 'auto' | LogFormat;

/** Chooses the output format: an explicit setting wins; auto follows whether stdout is a terminal. */
export function resolveLogFormat(setting: LogFormatSetting | undefined, stdoutIsTTY: boolean): LogFormat {
  if (setting === 'pretty' || setting === 'json') return setting;
  return stdoutIsTTY ? 'pretty' : 'json';
}

export interface PrettyOptions {
  /** ANSI colours (only on a terminal, and not when NO_COLOR is set). */
  readonly color?: boolean;
}

const LEVELS: Record<number, { name: string; color: number }> = {
  10: { name: 'TRACE', color: 90 },
  20: { name: 'DEBUG', color: 90 },
  30: { name: 'INFO', color: 36 },
  40: { name: 'WARN', color: 33 },
  50: { name: 'ERROR', color: 31 },
  60: { name: 'FATAL', color: 31 },
};

/** Fields every line carries or that the layout shows in its own place. */
const LAYOUT_FIELDS = new Set([
  'level',
  'time',
  'msg',
  'pid',
  'hostname',
  'service',
  'requestId',
  'reqId',
  'req',
  'res',
  'responseTime',
  'err',
]);

/** Wraps text in an ANSI colour when colours are on. */
export function paint(text: string, code: number, color: boolean | undefined): string {
  return color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

const clean = (value: string, maxString = 500) => sanitizeLogString(value, { maxString });

function clock(time: unknown): string {
  const date = new Date(typeof time === 'string' || typeof time === 'number' ? time : Number.NaN);
  if (Number.isNaN(date.getTime())) return '--:--:--';
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function valueText(value: unknown): string {
  if (typeof value === 'string') {
    const s = clean(value, 300);
    return /[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s;
  }
  if (value === null || typeof value !== 'object') return clean(String(value), 300);
  return clean(JSON.stringify(value), 300);
}

function statusColor(status: number): number {
  if (status >= 500) return 31;
  if (status >= 400) return 33;
  if (status >= 300) return 36;
  return 32;
}

function duration(ms: unknown): string {
  const n = typeof ms === 'number' ? ms : Number(ms);
  if (!Number.isFinite(n)) return '?ms';
  return n < 10 ? `${n.toFixed(1)}ms` : `${Math.round(n)}ms`;
}

interface ErrorFields {
  type?: unknown;
  message?: unknown;
  code?: unknown;
  stack?: unknown;
}

function errorText(err: ErrorFields, withStack: boolean): string {
  const name =
    typeof err.code === 'string' || typeof err.code === 'number'
      ? `${String(err.type ?? 'Error')} ${String(err.code)}`
      : String(err.type ?? 'Error');
  let out = ` — ${clean(name, 100)}: ${clean(String(err.message ?? ''))}`;
  if (withStack && typeof err.stack === 'string') {
    const frames = sanitizeLogString(err.stack, { keepNewlines: true, maxString: 4_000 })
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('at '))
      .slice(0, 8);
    for (const frame of frames) out += `\n      ${frame}`;
  }
  return out;
}

/**
 * Formats one pino JSON line for a terminal, or returns undefined for a line the terminal skips
 * (Fastify's "incoming request", as the completed request gets one line of its own, and its
 * "Server listening at", as `hearth start` prints the address itself).
 * - request: `12:04:05 GET /api/health 200 1.3ms req-id`
 * - other:   `12:04:05 WARN  message key=value (req req-id)`
 */
export function formatLogLine(line: string, options: PrettyOptions = {}): string | undefined {
  let rec: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return clean(line, 2_000);
    rec = parsed as Record<string, unknown>;
  } catch {
    return clean(line, 2_000);
  }
  const { color } = options;
  const time = paint(clock(rec.time), 2, color);
  const rawId = rec.requestId ?? rec.reqId;
  const requestId = typeof rawId === 'string' ? clean(rawId, 128) : undefined;
  const req = rec.req as { method?: unknown; url?: unknown } | undefined;
  const res = rec.res as { statusCode?: unknown; method?: unknown; url?: unknown } | undefined;
  if (rec.msg === 'incoming request' && req && !res) return undefined;
  // Fastify's own start-up line; `hearth start` prints its address itself.
  if (typeof rec.msg === 'string' && rec.msg.startsWith('Server listening at ')) return undefined;
  if (res && rec.responseTime !== undefined) {
    const status = Number(res.statusCode);
    const method = clean(String(res.method ?? req?.method ?? '?'), 10);
    const url = clean(String(res.url ?? req?.url ?? '?'), 300);
    const statusText = paint(Number.isFinite(status) ? String(status) : '?', statusColor(status), color);
    return `${time} ${method} ${url} ${statusText} ${duration(rec.responseTime)}${requestId ? ` ${paint(requestId, 2, color)}` : ''}`;
  }
  const level = LEVELS[Number(rec.level)] ?? { name: clean(String(rec.level ?? 'LOG'), 8).toUpperCase(), color: 0 };
  let out = `${time} ${paint(level.name.padEnd(5), level.color, color)} ${clean(String(rec.msg ?? ''), 2_000)}`;
  for (const [key, value] of Object.entries(rec)) {
    if (LAYOUT_FIELDS.has(key) || value === undefined) continue;
    out += ` ${clean(key, 100)}=${valueText(value)}`;
  }
  if (req && typeof req === 'object') out += ` ${clean(String(req.method ?? ''), 10)} ${clean(String(req.url ?? ''), 300)}`;
  if (rec.err && typeof rec.err === 'object') out += errorText(rec.err as ErrorFields, Number(rec.level) >= 50);
  if (requestId) out += paint(` (req ${requestId})`, 2, color);
  return out;
}

interface Sink {
  write(chunk: string): unknown;
  flush?(cb?: (err?: Error) => void): void;
}

/**
 * A pino destination that turns its JSON lines into terminal lines on `out`. pino writes one
 * record per call; partial lines are held until their newline arrives all the same.
 */
export function prettyDestination(
  out: Sink,
  options: PrettyOptions = {},
): { write(chunk: string): void; flush(cb?: (err?: Error) => void): void } {
  let pending = '';
  return {
    write(chunk) {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() !== '') {
          const formatted = formatLogLine(line, options);
          if (formatted !== undefined) out.write(`${formatted}\n`);
        }
        nl = pending.indexOf('\n');
      }
    },
    flush(cb) {
      if (typeof out.flush === 'function') out.flush(cb);
      else cb?.();
    },
  };
}
