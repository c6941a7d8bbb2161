export { createBackup } from './backup.js';
export { restoreBackup } from './restore.js';
export { BackupError } from './format.js';
