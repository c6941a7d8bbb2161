import pino, { type DestinationStream, type Logger } from 'pino';
import { attachLogContext, type LogContext } from './context.js';
import { prettyDestination, type LogFormat } from './pretty.js';
import { sanitizeForLog, sanitizeLogString } from './redact.js';
import { redactUrl } from './url.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level?: string;
  /** Where JSON lines go; stdout by default. Tests pass a capturing stream. */
  readonly destination?: DestinationStream;
  readonly base?: Record<string, unknown>;
  /** This process's replica id, on every line (`replica`) beside `service`. */
  readonly replica?: string;
  /** json (default): one JSON object a line. pretty: short readable lines for a terminal, made from those same redacted lines. */
  readonly format?: LogFormat;
  /** ANSI colours in pretty output. */
  readonly color?: boolean;
}

interface RequestLike {
  method?: string;
  url?: string;
  id?: string;
  ip?: string;
}
interface ReplyLike {
  statusCode?: number;
  /** Fastify's reply knows its request: the completed-request line names method and path. */
  request?: RequestLike;
}

/** Where a request's sanitized URL is kept between its two log lines. */
const CLEAN_URL = Symbol('hearth.cleanUrl');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Fastify's per-request binding with an id it generated: nothing to redact (the hot path; saves ~15 µs a request). */
function isGeneratedRequestBinding(bindings: Record<string, unknown>): boolean {
  const keys = Object.keys(bindings);
  const value = bindings[keys[0]!];
  return keys.length === 1 && (keys[0] === 'requestId' || keys[0] === 'reqId') && typeof value === 'string' && UUID.test(value);
}

/**
 * The one logger factory. Every argument of every log call passes through sanitizeForLog,
 * so a secret cannot reach a line by being put in a message, a field or an error. Pretty output
 * is formatted from the finished JSON line, so it carries exactly the same redaction.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const pretty = options.format === 'pretty';
  // A request's URL is logged twice (incoming, completed); it is sanitized once, and kept on the
  // request under a symbol (cheaper than a WeakMap entry per request, which the GC traces as an ephemeron).
  const cleanUrl = (req: RequestLike & { [CLEAN_URL]?: string }): string | undefined => {
    if (req.url === undefined) return undefined;
    let url = req[CLEAN_URL];
    if (url === undefined) req[CLEAN_URL] = url = sanitizeLogString(redactUrl(req.url), { maxString: 300 });
    return url;
  };
  // Messages are mostly the same few constant strings ('incoming request', 'request completed'):
  // one that sanitizing leaves unchanged is remembered, so it is not scanned again. Only unchanged
  // strings are kept (nothing redacted, so no secret is held), short ones, a bounded number.
  const cleanMessages = new Set<string>();
  const cleanMessage = (text: string): string => {
    if (cleanMessages.has(text)) return text;
    const clean = sanitizeLogString(text);
    if (clean === text && text.length <= 200) {
      if (cleanMessages.size >= 1_000) cleanMessages.clear();
      cleanMessages.add(text);
    }
    return clean;
  };
  const sink = options.destination ?? pino.destination({ fd: 1, sync: pretty });
  // The request (or other unit of work) a line belongs to, carried through async calls (HTTP-4).
  const context: LogContext = attachLogContext();
  const logger = pino(
    {
      mixin: (_obj, _level, instance) => context.bindingsFor(instance),
      level: options.level ?? 'info',
      base: options.base ?? { service: 'hearth', ...(options.replica ? { replica: options.replica } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      serializers: {
        // Request and reply objects are not plain data: reduce them to safe fields.
        req: (req: RequestLike) => ({ method: req.method, url: cleanUrl(req), remoteAddress: req.ip }),
        // Errors arrive already redacted and plain (logMethod below); pino's own serializer would rename their type to "Object".
        err: (err: unknown) => (err instanceof Error ? sanitizeForLog(err) : err),
        res: (res: ReplyLike) => ({
          statusCode: res.statusCode,
          method: res.request?.method,
          url: res.request ? cleanUrl(res.request) : undefined,
        }),
      },
      hooks: {
        logMethod(args, method) {
          const clean = args.map((arg) => {
            if (arg && typeof arg === 'object' && !(arg instanceof Error)) {
              const { req, res, ...rest } = arg as Record<string, unknown>;
              const out = sanitizeForLog(rest) as Record<string, unknown>;
              if (req !== undefined) out.req = req;
              if (res !== undefined) out.res = res;
              return out;
            }
            if (arg instanceof Error) return { err: sanitizeForLog(arg) };
            return typeof arg === 'string' ? cleanMessage(arg) : arg;
          });
          method.apply(this, clean as Parameters<typeof method>);
        },
      },
    },
    pretty ? prettyDestination(sink, { color: options.color ?? false }) : sink,
  );
  // Child bindings (logger.child({...}), e.g. Fastify's per-request logger) skip logMethod and pino's
  // bindings formatter: they are redacted here. Children inherit this from the root by prototype.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    const clean = isGeneratedRequestBinding(bindings) ? bindings : (sanitizeForLog(bindings) as typeof bindings);
    return context.adopt(this, child.call(this, clean, childOptions), clean);
  } as Logger['child'];
  return context.install(logger);
}
