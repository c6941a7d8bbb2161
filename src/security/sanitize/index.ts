export { stripUnsafeLinks, isAllowedLinkUrl } from './links.js';
export { neutralizeDelimiters, dataBlock, newFenceTag } from './delimiters.js';
