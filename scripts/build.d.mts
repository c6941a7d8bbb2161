/** True when dist/ was built from exactly the sources in src/ now (a few ms: one stat per file). */
export function distIsFresh(): boolean;
/** Transpiles src/ to dist/ unless it is fresh (or `force`); resolves to whether it built. */
export function buildServer(options?: { force?: boolean }): Promise<boolean>;
