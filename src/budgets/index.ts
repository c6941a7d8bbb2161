export { budgetsPlugin } from './plugin.js';
export { budgetGuard } from './guard.js';
