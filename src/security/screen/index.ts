export { createInjectionScreen, neutralizedNotice } from './screen.js';
export type { InjectionScreen } from './screen.js';
