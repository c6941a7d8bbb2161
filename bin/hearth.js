#!/usr/bin/env node
// Entry point of the `hearth` command. It runs the compiled JavaScript in dist/ when dist/ was
// built from the sources as they are now (`npm ci` builds it: the `prepare` script runs
// scripts/build.mjs; `npm run build` rebuilds by hand), and otherwise runs the TypeScript sources
// through tsx, so an edited tree or a clone installed with --ignore-scripts still works, only slower.
import { distIsFresh } from '../scripts/build.mjs';

let runCli;
if (process.env.HEARTH_RUN_SOURCES !== '1' && distIsFresh()) {
  ({ runCli } = await import('../dist/cli/main.js'));
} else {
  if (process.stderr.isTTY && process.env.HEARTH_RUN_SOURCES !== '1')
    process.stderr.write('hearth: dist/ is missing or older than src/; running the sources through tsx (`npm run build` rebuilds)\n');
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import('../src/cli/main.ts'));
}
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
