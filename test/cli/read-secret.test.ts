import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readHiddenLine, readNewPassword } from '../../src/cli/commands/read-secret.js';
import type { CliIo } from '../../src/cli/io.js';

/** A fake terminal: a stream with isTTY and setRawMode that records the mode changes. */
function fakeTerminal() {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    isRaw: false,
    modes: [] as boolean[],
    setRawMode(mode: boolean) {
      input.modes.push(mode);
      input.isRaw = mode;
      return input;
    },
  });
  const shown: string[] = [];
  const prompt = new PassThrough();
  prompt.on('data', (c: Buffer) => shown.push(c.toString()));
  return { input, prompt, shown: () => shown.join('') };
}

const io = (stdin: NodeJS.ReadableStream, stderr: PassThrough): CliIo =>
  ({ stdin, stderr, stdout: new PassThrough(), env: {}, cwd: '/' }) as unknown as CliIo;

describe('reading a password at the terminal without echo (hearth users passwd)', () => {
  it('reads in raw mode, echoes nothing, handles Backspace, Ctrl-U and arrow keys, and restores the mode', async () => {
    const t = fakeTerminal();
    const read = readHiddenLine(t.input, t.prompt, 'Password: ');
    t.input.write('wrong\u0015');
    t.input.write('secret pass\u007f\u007fss');
    t.input.write('\u001b[D\u001b[C phrase 1\r');
    expect(await read).toBe('secret pass phrase 1');
    await new Promise((r) => setImmediate(r));
    expect(t.shown()).toBe('Password: \n');
    expect(t.input.modes).toEqual([true, false]);
  });

  it('Ctrl-C cancels with exit code 130 and restores the terminal', async () => {
    const t = fakeTerminal();
    const read = readHiddenLine(t.input, t.prompt, 'Password: ');
    t.input.write('half\u0003');
    await expect(read).rejects.toMatchObject({ exitCode: 130 });
    expect(t.input.modes).toEqual([true, false]);
  });

  it('asks twice on a terminal and refuses two different answers', async () => {
    const same = fakeTerminal();
    const err = new PassThrough();
    const shown: string[] = [];
    err.on('data', (c: Buffer) => shown.push(c.toString()));
    const ok = readNewPassword(io(same.input, err), 'vic');
    same.input.write('a long passphrase here\r');
    await new Promise((r) => setTimeout(r, 10));
    same.input.write('a long passphrase here\r');
    expect(await ok).toBe('a long passphrase here');
    expect(shown.join('')).toBe('New password for vic: \nRepeat it: \n');

    const differ = fakeTerminal();
    const bad = readNewPassword(io(differ.input, new PassThrough()), 'vic');
    differ.input.write('a long passphrase here\r');
    await new Promise((r) => setTimeout(r, 10));
    differ.input.write('another long passphrase\r');
    await expect(bad).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('differ') });
  });

  it('from a pipe, takes the first line', async () => {
    const pipe = new PassThrough();
    pipe.end('first line passphrase\r\nsecond\n');
    expect(await readNewPassword(io(pipe, new PassThrough()), 'vic')).toBe('first line passphrase');
  });
});
