export { createLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { redactString, sanitizeForLog, sanitizeLogString, serializeError, isSecretFieldName, REDACTED } from './redact.js';

import type { Logger } from './logger.js';

declare module '../core/plugin.js' {
  interface KernelBase {
    readonly logger: Logger;
  }
}
