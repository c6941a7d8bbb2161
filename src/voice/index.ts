export { voicePlugin } from './plugin.js';
