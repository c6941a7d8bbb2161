import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode } from '../core/index.js';

interface ErrorBody {
  error: string;
  code: ErrorCode;
  requestId: string;
  fields?: string[];
}

const FRAMEWORK_CODES: Record<number, [ErrorCode, string]> = {
  400: ['BAD_REQUEST', 'Malformed request'],
  404: ['NOT_FOUND', 'Not found'],
  405: ['METHOD_NOT_ALLOWED', 'Method not allowed'],
  413: ['PAYLOAD_TOO_LARGE', 'Request body too large'],
  414: ['BAD_REQUEST', 'Request URL too long'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type'],
  429: ['RATE_LIMITED', 'Rate limit exceeded'],
};

/** Client-safe description of a field path; never the value. */
function fieldPath(path: ReadonlyArray<PropertyKey> | string | undefined, where: string): string {
  const parts = Array.isArray(path) ? path.map(String) : typeof path === 'string' ? path.split('/').filter(Boolean) : [];
  return [where, ...parts].join('.').slice(0, 200);
}

/**
 * One error handler for the whole app (HTTP-5): clients get `{error, code, requestId}` with
 * the right status; internals go to the log only.
 */
export function handleError(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const requestId = request.id;
  if (error instanceof AppError) {
    if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    if (error.headers) void reply.headers(error.headers);
    const body: ErrorBody & Record<string, unknown> = { error: error.message, code: error.code, requestId };
    if (error.details) Object.assign(body, { details: error.details });
    void reply.status(error.status).send(body);
    return;
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as FastifyError).validationContext ?? 'body';
    const fields = error.validation.map((v) => {
      const params = v.params as { issue?: { path?: PropertyKey[] } };
      return fieldPath(params.issue?.path ?? v.instancePath, where);
    });
    const unique = [...new Set(fields)];
    const body: ErrorBody = { error: `Invalid ${unique.join(', ')}`, code: 'VALIDATION_FAILED', requestId, fields: unique };
    void reply.status(400).send(body);
    return;
  }
  const status = (error as FastifyError).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [code, message] = FRAMEWORK_CODES[status] ?? ['BAD_REQUEST', 'Bad request'];
    request.log.info({ err: error }, 'client error');
    void reply.status(status).send({ error: message, code, requestId } satisfies ErrorBody);
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  void reply.status(500).send({ error: 'Internal server error', code: 'INTERNAL', requestId } satisfies ErrorBody);
}
