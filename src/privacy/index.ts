export { createPrivacyService, startRetention, pseudonym, type PrivacyService, type ErasureReport } from './service.js';
export { privacyRoutes } from './routes.js';
export { privacyPlugin } from './plugin.js';
