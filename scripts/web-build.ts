// The web build's freshness check and build live in scripts/web-build.mjs (plain JavaScript, so
// `npm ci` can run it before anything is compiled); this re-export keeps the TypeScript import path.
export { ensureWebBuild, webBuildIsFresh } from './web-build.mjs';
