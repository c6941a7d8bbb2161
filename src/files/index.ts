export { writeFileAtomic, createFileExclusive, fsyncDir } from './atomic.js';
export { createTempFile, sweepTempDir } from './temp.js';
export { filesPlugin } from './plugin.js';
export { isWithin, realPath } from './paths.js';
