/**
 * The typed catalogue of errors a client may see. Tests check `.code`, never message text.
 * Anything thrown that is not an AppError becomes a 500 with a generic message (HTTP-5).
 */
const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  CSRF_FAILED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  LOCKED: 423,
  RATE_LIMITED: 429,
  /** A person's or familiar's token, money or tool-call budget for the period is spent (issue #22). */
  BUDGET_EXCEEDED: 429,
  INTERNAL: 500,
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/**
 * The base of every typed Hearth error: `code` names the reason (`MEMORY_NOT_FOUND`,
 * `VAULT_UNKNOWN_KEY`, `NOT_FOUND`), and tests check it rather than message text.
 */
export class HearthError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** An error whose message is safe to show the client; `code` is the category the API answers with. */
export class AppError extends HearthError<ErrorCode> {
  readonly status: number;
  readonly headers: Record<string, string> | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(code, message, options);
    this.status = ERROR_STATUS[code];
    this.headers = options?.headers;
  }
}

/**
 * A concern's catalogue of reason codes, each mapped to the category clients see (as Fastify's
 * `FST_ERR_*`): `const errors = defineErrorCodes({ NOTE_NOT_FOUND: 'NOT_FOUND' })`, then
 * `throw errors.create('NOTE_NOT_FOUND', 'Note not found')` answers 404 with `details.reason`.
 */
export function defineErrorCodes<const Codes extends Record<string, ErrorCode>>(codes: Codes) {
  return {
    codes,
    create(reason: keyof Codes & string, message: string, details?: Record<string, unknown>): AppError {
      return new AppError(codes[reason] as ErrorCode, message, { ...details, reason });
    },
  };
}
