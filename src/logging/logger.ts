import pino, { type DestinationStream, type Logger } from 'pino';
import { sanitizeForLog, sanitizeLogString } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level?: string;
  /** Where JSON lines go; stdout by default. Tests pass a capturing stream. */
  readonly destination?: DestinationStream;
  readonly base?: Record<string, unknown>;
}

interface RequestLike {
  method?: string;
  url?: string;
  id?: string;
  ip?: string;
}
interface ReplyLike {
  statusCode?: number;
}

/**
 * The one logger factory. Every argument of every log call passes through sanitizeForLog,
 * so a secret cannot reach a line by being put in a message, a field or an error.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? { service: 'hearth' },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      serializers: {
        // Request and reply objects are not plain data: reduce them to safe fields.
        req: (req: RequestLike) => ({
          method: req.method,
          url: req.url === undefined ? undefined : sanitizeLogString(req.url, { maxString: 300 }),
          remoteAddress: req.ip,
        }),
        res: (res: ReplyLike) => ({ statusCode: res.statusCode }),
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
            return typeof arg === 'string' ? sanitizeLogString(arg) : arg;
          });
          method.apply(this, clean as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
