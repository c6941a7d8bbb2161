export type { AuditLog, AuditEvent, AuditActor, AuditOutcome, AuditEntry, AuditQuery, AuditVerification, AuditService } from './types.js';
export { createAuditLog } from './audit-log.js';
export type { AuditLogOptions } from './audit-log.js';
export { auditMigrations } from './migrations.js';
export { verifyChain } from './verify.js';
export { startAuditRetention } from './retention.js';
export { auditRoutes } from './routes.js';
