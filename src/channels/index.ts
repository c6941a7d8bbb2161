export { personCommandsOver } from './person-commands.js';
export { channelsPlugin } from './plugin.js';
