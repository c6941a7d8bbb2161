#!/usr/bin/env node
// Entry point of the `hearth` command. Hearth runs its TypeScript sources through tsx,
// so a clone needs no build step beyond `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
