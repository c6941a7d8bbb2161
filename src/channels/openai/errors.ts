import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode } from '../../core/index.js';

/** OpenAI's error object: what every OpenAI client parses (`err.code`, `err.param`, `err.type`). */
interface OpenAIError {
  readonly message: string;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
}

/** A request the endpoint refuses, naming the field: answered as `invalid_request_error` with this code and param. */
export function invalidRequest(param: string | null, message: string, code: string, status: ErrorCode = 'VALIDATION_FAILED'): AppError {
  return new AppError(status, message, { param, openaiCode: code });
}

/** OpenAI's code for Hearth's category, where the category alone says it. */
const CODES: Partial<Record<ErrorCode, string>> = {
  UNAUTHENTICATED: 'invalid_api_key',
  FORBIDDEN: 'insufficient_permissions',
  NOT_FOUND: 'not_found',
  RATE_LIMITED: 'rate_limit_exceeded',
  PAYLOAD_TOO_LARGE: 'request_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  VALIDATION_FAILED: 'invalid_value',
};

const FRAMEWORK: Record<number, [string, string]> = {
  400: ['invalid_json', 'Malformed request body'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  413: ['request_too_large', 'Request body too large'],
  415: ['unsupported_media_type', 'Unsupported content type'],
  429: ['rate_limit_exceeded', 'Rate limit exceeded'],
};

function typeOf(status: number): string {
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** `messages[0].content` from the validator's `/messages/0/content`: a field path as clients write it; never a value. */
function pathOf(instancePath: string | undefined): string | null {
  const parts = (instancePath ?? '').split('/').filter(Boolean);
  if (!parts.length) return null;
  return parts
    .map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : `${i ? '.' : ''}${p}`))
    .join('')
    .slice(0, 200);
}

/** A field name a caller made up is echoed only when it looks like one. */
const safeName = (key: unknown) => (typeof key === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(key) ? key : null);

/** One failed check as fastify-type-provider-zod reports it: the zod issue's code, path and extras. */
interface ValidationIssue {
  readonly keyword?: string;
  readonly instancePath?: string;
  readonly params?: { readonly keys?: readonly unknown[] };
}

function fromValidation(issues: readonly ValidationIssue[]): { status: number; body: OpenAIError } {
  const unknown = issues.find((i) => i.keyword === 'unrecognized_keys');
  if (unknown) {
    const key = safeName(unknown.params?.keys?.[0]);
    const message = key ? `Unrecognized request argument supplied: ${key}` : 'Unrecognized request argument supplied';
    return { status: 400, body: { message, type: 'invalid_request_error', code: 'unknown_parameter', param: key } };
  }
  const param = pathOf(issues[0]?.instancePath);
  const message = param ? `Invalid value for '${param}'` : 'Invalid request body';
  return { status: 400, body: { message, type: 'invalid_request_error', code: 'invalid_value', param } };
}

/** The endpoint's one error handler: OpenAI's `{error: {message, type, code, param}}`; the request id stays in `x-request-id`. */
export function openaiErrorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  let status: number;
  let body: OpenAIError;
  if (error instanceof AppError) {
    if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    if (error.headers) void reply.headers(error.headers);
    const d = error.details ?? {};
    status = error.status;
    const code =
      typeof d.openaiCode === 'string'
        ? d.openaiCode
        : d.reason === 'CONTEXT_TOO_LONG'
          ? 'context_length_exceeded'
          : (CODES[error.code] ?? error.code.toLowerCase());
    const param =
      typeof d.param === 'string' ? d.param : d.reason === 'CONTEXT_TOO_LONG' || error.code === 'VALIDATION_FAILED' ? 'messages' : null;
    body = { message: error.message, type: typeOf(status), code, param };
  } else if (hasZodFastifySchemaValidationErrors(error)) {
    ({ status, body } = fromValidation((error as { validation: ValidationIssue[] }).validation));
  } else if (typeof (error as FastifyError).statusCode === 'number' && (error as FastifyError).statusCode! < 500) {
    status = (error as FastifyError).statusCode!;
    request.log.info({ err: error }, 'client error');
    const [code, message] = FRAMEWORK[status] ?? ['bad_request', 'Bad request'];
    body = { message, type: typeOf(status), code, param: null };
  } else {
    request.log.error({ err: error }, 'unhandled error');
    status = 500;
    body = { message: 'Internal server error', type: 'server_error', code: 'internal_error', param: null };
  }
  void reply.status(status).send({ error: body });
}
