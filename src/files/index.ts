export { writeFileAtomic, createFileExclusive, fsyncDir } from './atomic.js';
export { createTempFile, ensureTempDir, sweepTempDir, startTempSweeper, TEMP_DIR_NAME } from './temp.js';
export type { TempFile } from './temp.js';
export { filesPlugin } from './plugin.js';
