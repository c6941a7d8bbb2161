import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { HEARTH_BIN, startHearthProcess } from '../support/cli.js';
import { tempDir } from '../support/databases.js';

/** util-linux script(1), which runs a command on a pseudo-terminal; the PTY test is skipped without it. */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((p) => existsSync(p));
const hasScript = SCRIPT !== undefined && spawnSync(SCRIPT, ['--version'], { encoding: 'utf8' }).status === 0;
const REQUEST_LINE = /^\d\d:\d\d:\d\d GET \/api\/health 200 \d+(\.\d)?ms req-pretty-1$/m;

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('hearth start output on a terminal and in a pipe (issue #17)', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  async function start(env: Record<string, string>) {
    const dir = tempDir();
    const proc = await startHearthProcess({ cwd: dir, env: { HEARTH_DATA_DIR: dir, HEARTH_SERVE_WEB: 'false', ...env } });
    stops.push(async () => {
      const exited = new Promise((r) => proc.child.once('exit', r));
      proc.child.kill('SIGTERM');
      await exited;
    });
    return proc;
  }

  it('HEARTH_LOG_FORMAT=pretty: a few readable start-up lines, then one short line per request; no JSON', async () => {
    const proc = await start({ HEARTH_LOG_FORMAT: 'pretty' });
    await until(() => /Lost or expired\?/.test(proc.output()), 'the setup hint');
    const res = await fetch(`${proc.url}/api/health`, { headers: { 'x-request-id': 'req-pretty-1' } });
    expect(res.status).toBe(200);
    await until(() => REQUEST_LINE.test(proc.output()), 'the request line');
    const out = proc.output();
    const lines = out.split('\n').filter(Boolean);
    expect(lines).toContainEqual(expect.stringMatching(/^Hearth listening on http:\/\/127\.0\.0\.1:\d+$/));
    // Anything logged before the address (first-run notices) is a pretty line too.
    for (const line of lines.slice(
      0,
      lines.findIndex((l) => l.startsWith('Hearth listening on ')),
    ))
      expect(line).toMatch(/^\d\d:\d\d:\d\d (INFO|WARN) /);
    expect(out).not.toContain('Server listening at');
    expect(out).toMatch(/^ {2}mode {5}development, SQLite in .+, log level info$/m);
    expect(out).toMatch(/^ {2}warning {2}HEARTH_ENV is development/m);
    expect(out).toMatch(
      /^ {2}setup {4}No owner yet\. Create one within 1 hour: http:\/\/127\.0\.0\.1:\d+\/setup#token=[A-Za-z0-9_-]{43}$/m,
    );
    expect(out).toMatch(/npx hearth setup-link/);
    expect(out).not.toContain('incoming request');
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([]);
    expect(out).not.toContain('\u001b['); // not a terminal: no colours
  });

  it('auto, stdout not a terminal: JSON lines (besides the address and setup lines), and the request line names method and path', async () => {
    const proc = await start({});
    await until(() => /#token=/.test(proc.output()), 'the setup line');
    await fetch(`${proc.url}/api/health`, { headers: { 'x-request-id': 'req-json-1' } });
    await until(() => /"requestId":"req-json-1".*"msg":"request completed"/.test(proc.output()), 'the request record');
    const lines = proc
      .output()
      .split('\n')
      .filter((l) => l && !l.startsWith('Hearth listening on ') && !l.startsWith('No owner yet.'));
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.some((r) => r.level === 40 && String(r.msg).includes('HEARTH_ENV is development'))).toBe(true);
    expect(records.find((r) => r.requestId === 'req-json-1' && r.msg === 'request completed')).toMatchObject({
      res: { statusCode: 200, method: 'GET', url: '/api/health' },
    });
  });

  it.runIf(hasScript)('auto on a real pseudo-terminal (script(1)): pretty and coloured', async () => {
    const dir = tempDir();
    // script gives the command a pseudo-terminal as stdout; -e returns the command's exit code.
    const child = spawn(SCRIPT!, ['-qfec', `${process.execPath} ${HEARTH_BIN} start`, '/dev/null'], {
      cwd: dir,
      detached: true,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        HEARTH_DATA_DIR: dir,
        HEARTH_PORT: '0',
        HEARTH_SERVE_WEB: 'false',
        TERM: 'xterm',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    stops.push(async () => {
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      await exited;
    });
    await until(
      () => /Hearth listening on (http:\/\/\S+)/.test(out) && /Lost or expired\?/.test(out),
      'the start-up lines on the terminal',
      30_000,
    );
    const url = /Hearth listening on (http:\/\/[^\s\r]+)/.exec(out)![1]!;
    await fetch(`${url}/api/health`, { headers: { 'x-request-id': 'req-pretty-1' } });
    const plain = () => out.replace(/\u001b\[[0-9;]*m/g, '').replace(/\r/g, '');
    await until(() => REQUEST_LINE.test(plain()), 'the request line on the terminal');
    expect(out).toContain('\u001b[32m200\u001b[0m'); // a terminal gets colours
    expect(plain()).toMatch(/^ {2}mode {5}development/m);
    expect(
      plain()
        .split('\n')
        .filter((l) => l.startsWith('{')),
    ).toEqual([]);
  });
});
