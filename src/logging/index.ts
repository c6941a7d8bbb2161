export { createLogger } from './logger.js';
export { runWithLogContext } from './context.js';
export { looksLikeCredential } from './credentials.js';
export { formatLogLine, paint, resolveLogFormat } from './pretty.js';
export type { Logger } from './logger.js';
export { sanitizeForLog, sanitizeLogString } from './redact.js';
export { redactUrl } from './url.js';

import type { Logger } from './logger.js';

declare module '../core/plugin.js' {
  interface KernelBase {
    readonly logger: Logger;
  }
}
