export type { AuditLog, AuditEvent, AuditActor, AuditService } from './types.js';
export { createAuditLog } from './audit-log.js';
export { auditMigrations } from './migrations.js';
export { auditPlugin } from './plugin.js';

import type { AuditService } from './types.js';

declare module '../../core/plugin.js' {
  interface KernelBase {
    /** The chained audit log (LOG-3): record every security event here. */
    readonly audit: AuditService;
  }
}
