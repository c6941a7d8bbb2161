import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTH_BIN } from '../support/cli.js';
import { tempDir } from '../support/databases.js';

/** Runs `hearth start`; a process still alive after `boundMs` is killed and reported as such. */
function startHearth(env: Record<string, string>, boundMs = 45_000): Promise<{ code: number | null; stderr: string; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HEARTH_BIN, 'start'], {
      cwd: tempDir(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HEARTH_LOG_FORMAT: 'json', ...env },
    });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.resume();
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, boundMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, killed });
    });
  });
}

describe('a failed start exits non-zero so a supervisor restarts it (issue #15.4)', () => {
  let taken: Server;
  let port: number;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => taken.close(() => r())));

  it('#15.4 port already in use: exits 1 with a one-line error naming the problem', async () => {
    const res = await startHearth({ HEARTH_PORT: String(port) });
    expect(res.killed, 'the process was still running').toBe(false);
    expect(res.code).toBe(1);
    const lines = res.stderr.split('\n').filter((l) => l.startsWith('hearth start:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/EADDRINUSE|address already in use/);
    expect(lines[0]).toContain(String(port));
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('#15.4 an address that cannot be listened on: exits 1 with a one-line error', async () => {
    // TEST-NET-1 (RFC 5737) is never a local address.
    const res = await startHearth({ HEARTH_HOST: '192.0.2.1', HEARTH_PORT: '0' });
    expect(res.killed, 'the process was still running').toBe(false);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^hearth start: .*(EADDRNOTAVAIL|address not available)/m);
  });

  it('#15.4 a bad proxy range is a configuration error (exit 2) naming the variable', async () => {
    const res = await startHearth({ HEARTH_TRUSTED_PROXIES: 'not-an-address' });
    expect(res.killed, 'the process was still running').toBe(false);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('HEARTH_TRUSTED_PROXIES');
    expect(res.stderr).not.toContain('not-an-address');
  });
});
