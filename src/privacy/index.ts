export { createPrivacyService } from './service.js';
export { privacyPlugin } from './plugin.js';
