export { openaiRoutes } from './routes.js';
