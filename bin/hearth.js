#!/usr/bin/env node
// Entry point of the `hearth` command. It runs the compiled JavaScript in dist/ when dist/ was
// built from the sources as they are now (`npm ci` builds it: the `prepare` script runs
// scripts/build.mjs; `npm run build` rebuilds by hand), and otherwise runs the TypeScript sources
// through tsx, so an edited tree or a clone installed with --ignore-scripts still works, only slower.
import { setFlagsFromString } from 'node:v8';
import { distIsFresh } from '../scripts/build.mjs';

// Start-up allocates in one burst (every module, the route schemas, the migrations). Left alone, V8
// grows the young generation for it to its largest (two 16 MB semi-spaces) and never gives those
// pages back, so an idle server would keep ~12 MB resident for garbage it no longer has (issue #17:
// idle RSS). While starting, the young generation keeps its size; once the server listens it may
// grow again under load (src/server/app.ts, onListen).
if (process.argv[2] === 'start') setFlagsFromString('--semi-space-growth-factor=1');

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
