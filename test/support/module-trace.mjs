// Loaded with `node --import` by test/cli/start-lazy.test.ts: appends every module URL the ESM loader
// resolves to the file named by HEARTH_TEST_MODULE_TRACE, to see what `hearth start` loads.
import { register } from 'node:module';

register(new URL('./module-trace-hooks.mjs', import.meta.url));
