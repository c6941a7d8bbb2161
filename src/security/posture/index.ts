export { auditPosture, npmAudit } from './checks.js';
