export { createLogger } from './logger.js';
export { formatLogLine, paint, resolveLogFormat } from './pretty.js';
export type { Logger } from './logger.js';
export { sanitizeForLog, sanitizeLogString } from './redact.js';

import type { Logger } from './logger.js';

declare module '../core/plugin.js' {
  interface KernelBase {
    readonly logger: Logger;
  }
}
