export { voicePlugin } from './plugin.js';
export { createSentenceSplitter } from './sentences.js';
export { pcmToWav } from './audio.js';
export { parsePcmWav } from './wav.js';
