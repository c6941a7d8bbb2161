import { mkdtempSync, readdirSync, readFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, SANDBOX_ENV, SandboxUnavailableError } from '../../src/tools/shell/sandbox.js';

const sandbox = createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 5_000, outputLimit: 64 * 1024 });

describe('EXEC-1 bubblewrap sandbox, attacked from inside', () => {
  let server: Server;
  let port = 0;
  let connections = 0;
  let dataDir = '';
  const SECRET = 'master-key-' + Math.random().toString(36).slice(2);

  beforeAll(async () => {
    server = createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
    dataDir = mkdtempSync(join(tmpdir(), 'hearth-data-'));
    writeFileSync(join(dataDir, 'master.key'), SECRET, { mode: 0o600 });
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs as a non-root user', async () => {
    const r = await sandbox.run('id -u');
    expect(r.output.trim()).not.toBe('0');
    expect(r.exitCode).toBe(0);
  });

  it('cannot reach the network, not even a server on the host loopback', async () => {
    const r = await sandbox.run(`bash -c 'echo hi > /dev/tcp/127.0.0.1/${port}' && echo CONNECTED; getent hosts example.com || echo NODNS`);
    expect(r.output).not.toContain('CONNECTED');
    expect(r.output).toContain('NODNS');
    expect(connections).toBe(0);
  });

  it('cannot write outside its work directory', async () => {
    const marker = `hearth-escape-${Date.now()}`;
    const r = await sandbox.run(
      `touch /usr/${marker} || echo RO1; touch /etc/${marker} || echo RO2; touch /tmp/${marker}; touch ../${marker} 2>/dev/null; touch ok && echo WORK`,
    );
    expect(r.output).toContain('RO1');
    expect(r.output).toContain('RO2');
    expect(r.output).toContain('WORK');
    expect(existsSync(`/tmp/${marker}`)).toBe(false);
    expect(existsSync(`/usr/${marker}`)).toBe(false);
    expect(existsSync(`/etc/${marker}`)).toBe(false);
  });

  it('cannot read the data directory, the master key or the server environment', async () => {
    const saved = process.env.HEARTH_MASTER_KEY;
    process.env.HEARTH_MASTER_KEY = SECRET;
    process.env.GIT_SSH_COMMAND = 'touch /tmp/pwned';
    try {
      const r = await sandbox.run(
        `cat ${dataDir}/master.key; ls ${dataDir}; cat /proc/1/environ; env; for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null; done`,
      );
      expect(r.output).not.toContain(SECRET);
      expect(r.output).toContain('No such file');
      const envNames = r.output
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => l.split('=')[0]);
      for (const name of envNames) expect(Object.keys(SANDBOX_ENV).concat(['PWD', 'SHLVL', 'OLDPWD', '_'])).toContain(name);
      expect(r.output).not.toContain('GIT_SSH_COMMAND');
    } finally {
      if (saved === undefined) delete process.env.HEARTH_MASTER_KEY;
      else process.env.HEARTH_MASTER_KEY = saved;
      delete process.env.GIT_SSH_COMMAND;
    }
  });

  it('kills the whole process group at the timeout, even children that ignore SIGTERM', async () => {
    const quick = createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 1_000, outputLimit: 4096 });
    const r = await quick.run(`trap '' TERM; (trap '' TERM; sleep 3117.5) & sleep 3118.5; echo SURVIVED`);
    expect(r.timedOut).toBe(true);
    expect(r.output).not.toContain('SURVIVED');
    const survivors = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return /311[78]\.5/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
        } catch {
          return false;
        }
      });
    expect(survivors).toEqual([]);
  });

  it('caps a flood of output and stops the command', async () => {
    const small = createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 10_000, outputLimit: 10_000 });
    const r = await small.run('yes flood');
    expect(r.truncated).toBe(true);
    expect(r.output.length).toBeLessThanOrEqual(10_000);
    expect(r.timedOut).toBe(false);
  });

  it('refuses to run, and says why, when bubblewrap is missing', async () => {
    const missing = createSandbox({ bwrapPath: '/nonexistent/bwrap', timeoutMs: 1000, outputLimit: 1000 });
    expect(missing.unavailableReason()).toContain('bubblewrap');
    await expect(missing.run('echo hi')).rejects.toBeInstanceOf(SandboxUnavailableError);
  });
});
