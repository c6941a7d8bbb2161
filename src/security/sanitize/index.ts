export { stripUnsafeLinks, isDangerousUrl, isAllowedLinkUrl } from './links.js';
export { neutralizeDelimiters, dataBlock, newFenceTag, FENCE_OPEN, FENCE_CLOSE } from './delimiters.js';
export type { DataBlock } from './delimiters.js';
