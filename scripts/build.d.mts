/** True when dist/ was built from the sources in src/ and the packages installed now (a few ms). */
export function distIsFresh(): boolean;
/** Bundles src/ into dist/ unless it is fresh (or `force`); resolves to whether it built. */
export function buildServer(options?: { force?: boolean }): Promise<boolean>;
