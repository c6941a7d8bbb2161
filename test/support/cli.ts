import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';

export const HEARTH_BIN = resolve('bin/hearth.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hearth ARGS` as a real child process with exactly the given environment. */
export function runHearth(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [HEARTH_BIN, ...args], {
      cwd: options.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Starts `hearth start` and resolves once it prints its address. */
export function startHearthProcess(options: {
  env?: Record<string, string>;
  cwd: string;
}): Promise<{ child: ChildProcessWithoutNullStreams; url: string; output: () => string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [HEARTH_BIN, 'start'], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HEARTH_PORT: '0', ...options.env },
    });
    let out = '';
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /Hearth listening on (https?:\/\/\S+)/.exec(out);
      if (m) done({ child, url: m[1]!, output: () => out });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`hearth exited early (${code}): ${out.slice(-2000)}`)));
  });
}
