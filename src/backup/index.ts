export { createBackup } from './backup.js';
export { restoreBackup } from './restore.js';
export { BackupError } from './format.js';
export { registerDataDirUser, claimDataDirForRestore } from './in-use.js';
