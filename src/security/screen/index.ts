export { createInjectionScreen, neutralizedNotice } from './screen.js';
export type { InjectionScreen, ScreenResult, ScreenPolicy } from './screen.js';
export { foldText, deobfuscate, decodePayloads } from './normalize.js';
export { SIGNALS } from './signals.js';
export type { SignalName, Signal } from './signals.js';
