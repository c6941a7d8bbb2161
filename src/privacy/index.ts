export { createPrivacyService, startRetention, pseudonym, type PrivacyService, type ErasureReport } from './service.js';
export { privacyRoutes } from './routes.js';
export { PERSON_TABLES } from './tables.js';
