export { createBackup } from './backup.js';
export type { BackupResult } from './backup.js';
export { restoreBackup } from './restore.js';
export { BackupError } from './format.js';
export type { BackupErrorCode, BackupHeader } from './format.js';
