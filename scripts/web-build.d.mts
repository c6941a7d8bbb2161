/** True when web/dist/index.html is at least as new as every input of the build. */
export function webBuildIsFresh(): boolean;
/** Builds web/dist unless it is fresh (or `force`); a lock directory keeps parallel callers from racing. */
export function ensureWebBuild(options?: { force?: boolean }): Promise<void>;
