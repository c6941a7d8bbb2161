export { createLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { redactString, sanitizeForLog, sanitizeLogString, serializeError, isSecretFieldName, REDACTED } from './redact.js';
