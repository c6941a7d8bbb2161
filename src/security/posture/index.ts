export { auditPosture, npmAudit, SEVERITIES } from './checks.js';
export type { Finding, Severity, PostureInputs } from './checks.js';
