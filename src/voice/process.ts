import { spawn } from 'node:child_process';
import { voiceErrors } from './errors.js';

/** A program the offline default needs, and the Debian package that provides it. */
export interface VoiceTool {
  readonly program: string;
  readonly pkg: string;
}

export const TOOLS = {
  ffmpeg: { program: 'ffmpeg', pkg: 'ffmpeg' },
  espeak: { program: 'espeak-ng', pkg: 'espeak-ng' },
  pocketsphinx: { program: 'pocketsphinx_continuous', pkg: 'pocketsphinx' },
} as const satisfies Record<string, VoiceTool>;

export interface RunLimits {
  readonly timeoutMs: number;
  /** Most stdout bytes kept; more kills the program (a decompression bomb). */
  readonly maxOutputBytes: number;
  readonly input?: string | Buffer;
}

export interface RunResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  /** The last few KB of stderr, for the log only (never shown to a client). */
  readonly stderr: string;
}

/**
 * Runs one speech program with an argument array (never a shell), a time limit and an output cap.
 * A program that is not installed is a typed VOICE_TOOL_MISSING naming its Debian package.
 */
export function runTool(tool: VoiceTool, args: readonly string[], limits: RunLimits): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool.program, args, {
      shell: false,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: Error | undefined;
    const stop = (e: Error) => {
      failure ??= e;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => stop(voiceErrors.create('VOICE_TIMEOUT', `${tool.program} took longer than ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > limits.maxOutputBytes) return stop(voiceErrors.create('VOICE_TOO_LONG', 'The audio is too long'));
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        reject(
          voiceErrors.create('VOICE_TOOL_MISSING', `Voice needs ${tool.program}: install the Debian package ${tool.pkg}`, {
            package: tool.pkg,
          }),
        );
      } else reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure) reject(failure);
      else resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => undefined); // a program that exits before reading all of stdin
    child.stdin.end(limits.input ?? '');
  });
}
