export { budgetsPlugin } from './plugin.js';
export { budgetGuard } from './guard.js';
export { voiceBudgetsPlugin, createVoiceBudget } from './voice.js';
export type { VoiceBudget } from './voice.js';
