import { describe, expect, it } from 'vitest';
import { runHearth, startHearthProcess } from '../support/cli.js';
import { tempDir } from '../support/databases.js';

describe('hearth CLI', () => {
  it('starts on loopback, answers health with a request id, and stops cleanly on SIGTERM (CFG-4)', async () => {
    const cwd = tempDir();
    const { child, url, output } = await startHearthProcess({ cwd });
    try {
      expect(new URL(url).hostname).toBe('127.0.0.1');
      const res = await fetch(`${url}/api/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(output()).toMatch(/development/);
    } finally {
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });

  it('refuses to start in production without a master key, naming it and no values (CFG-2, CFG-3)', async () => {
    const cwd = tempDir();
    const secretValues = {
      HEARTH_SERVICE_KEY: 'service-key-VALUE-must-not-appear-0123456789',
      HEARTH_DATABASE_URL: 'postgres://hearth:db-password-VALUE@127.0.0.1:1/hearth',
      HEARTH_PUBLIC_URL: 'https://public-url-value.example',
    };
    const res = await runHearth(['start'], { cwd, env: { HEARTH_ENV: 'production', ...secretValues } });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('HEARTH_MASTER_KEY');
    const all = res.stdout + res.stderr;
    for (const v of ['service-key-VALUE', 'db-password-VALUE', 'public-url-value']) expect(all).not.toContain(v);
    expect(all).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('prints every bad variable at once and exits 2', async () => {
    const res = await runHearth(['start'], { cwd: tempDir(), env: { HEARTH_PORT: 'eighty', HEARTH_LOG_LEVEL: 'loud' } });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('HEARTH_PORT');
    expect(res.stderr).toContain('HEARTH_LOG_LEVEL');
    expect(res.stderr).not.toContain('eighty');
    expect(res.stderr).not.toContain('loud');
  });

  it('has help everywhere, one-line errors and meaningful exit codes', async () => {
    const help = await runHearth(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/start/);
    expect((await runHearth(['migrate', '--help'])).stdout).toMatch(/Usage: hearth migrate/);
    const unknown = await runHearth(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect((await runHearth(['migrate', 'sideways'], { cwd: tempDir() })).code).toBe(2);
  });

  it('migrate and doctor work on a fresh data directory', async () => {
    const cwd = tempDir();
    const up = await runHearth(['migrate', 'up'], { cwd });
    expect(up.code).toBe(0);
    const status = await runHearth(['migrate', 'status'], { cwd });
    expect(status.stdout).toMatch(/^applied\t0001_core_settings$/m);
    expect(status.stdout).not.toMatch(/^pending/m);
    const doctor = await runHearth(['doctor'], { cwd });
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/ok\s+data directory permissions 0700/);
    expect(doctor.stdout).toMatch(/ok\s+migrations up to date/);
  });

  it('doctor fails and says how to fix an open data directory', async () => {
    const cwd = tempDir();
    await runHearth(['migrate', 'up'], { cwd });
    const { chmodSync } = await import('node:fs');
    chmodSync(`${cwd}/data`, 0o755);
    const doctor = await runHearth(['doctor'], { cwd });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/fail\s+data directory is 755.*chmod 700/);
  });
});
