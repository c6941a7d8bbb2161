export { runLiveAudit, type LiveAuditReport } from './audit.js';
export { failsAudit, formatJson, formatSarif, formatText } from './report.js';
export { bestGrades, gradeHeaders } from './observatory.js';
export { routesFromDocument, type CatalogueRoute } from './catalogue.js';
export { checkPublicList, liveVariants, plainRequest, walkRoutes, type WalkVariant } from './route-walk.js';
export { checkHeaders, checkLoginCookies } from './header-checks.js';
export { createProbeSession, type ProbeSession } from './session.js';
export { httpTransport } from './transport.js';
export { ProbeError, type LiveFinding, type ProbeRequest, type ProbeResponse, type Transport } from './types.js';
