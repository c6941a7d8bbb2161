import type { Readable, Writable } from 'node:stream';
import { CliError, readStdin, type CliIo } from '../io.js';

/** What a terminal input offers beyond a Readable (process.stdin when it is a TTY). */
interface TerminalInput extends Readable {
  readonly isTTY?: boolean;
  readonly isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
}

const CANCELLED = 130;

function isTerminal(input: Readable): input is TerminalInput & { setRawMode(mode: boolean): unknown } {
  const t = input as TerminalInput;
  return t.isTTY === true && typeof t.setRawMode === 'function';
}

/**
 * Reads one line from a terminal without echoing it: raw mode, so nothing typed appears; Backspace
 * and Ctrl-U edit, Enter ends, Ctrl-C and Ctrl-D (on an empty line) cancel. Arrow keys and other
 * escape sequences are ignored. The terminal mode is restored whatever happens.
 */
export function readHiddenLine(
  input: TerminalInput & { setRawMode(mode: boolean): unknown },
  prompt: Writable,
  question: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const wasRaw = input.isRaw === true;
    let value = '';
    let escape = false;
    const finish = (err?: Error) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      prompt.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (escape) {
          // CSI sequences end with a letter or ~; a lone ESC followed by a letter ends at once.
          if (/[A-Za-z~]/.test(ch)) escape = false;
          continue;
        }
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new CliError('cancelled', CANCELLED));
        if (ch === '\u0004') return value === '' ? finish(new CliError('cancelled', CANCELLED)) : finish();
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch === '\u001b') escape = true;
        else if (ch >= ' ') value += ch;
      }
    };
    prompt.write(question);
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

/**
 * A new password for `hearth users passwd`: on a terminal, asked twice without echo (prompts on
 * stderr); from a pipe, the first line of stdin.
 */
export async function readNewPassword(io: CliIo, name: string): Promise<string> {
  if (isTerminal(io.stdin)) {
    const first = await readHiddenLine(io.stdin, io.stderr, `New password for ${name}: `);
    if (first === '') throw new CliError('no password given', 2);
    const again = await readHiddenLine(io.stdin, io.stderr, 'Repeat it: ');
    if (again !== first) throw new CliError('the two passwords differ; nothing changed', 2);
    return first;
  }
  const password = (await readStdin(io)).split(/\r?\n/)[0] ?? '';
  if (password === '') throw new CliError('no password on stdin (pipe one line, or run this at a terminal)', 2);
  return password;
}
