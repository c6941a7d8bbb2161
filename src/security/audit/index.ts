export type { AuditLog, AuditEvent, AuditActor, AuditOutcome } from './types.js';
