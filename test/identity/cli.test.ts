import { afterAll, describe, expect, it } from 'vitest';
import { runHearth, startHearthProcess } from '../support/cli.js';
import { tempDir } from '../support/databases.js';
import { STRONG } from './helpers.js';

describe('CLI: users add, keys create, and the first-run setup link (AUTH-1, AUTH-5)', () => {
  const children: Array<{ kill: () => void }> = [];
  afterAll(() => {
    for (const c of children) c.kill();
  });

  it('adds an owner from stdin, refuses a weak password, prints a key once', async () => {
    const dir = tempDir();
    const env = { HEARTH_DATA_DIR: dir, HEARTH_SERVE_WEB: 'false' };
    const weak = await runHearth(['users', 'add', 'root', '--role', 'owner'], { env, stdin: 'password1234\n' });
    expect(weak.code).not.toBe(0);
    expect(weak.stderr).toContain('Password is too easy to guess');
    const ok = await runHearth(['users', 'add', 'root', '--role', 'owner'], { env, stdin: `${STRONG}\n` });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('created owner root');
    expect(ok.stdout + ok.stderr).not.toContain(STRONG);
    const key = await runHearth(['keys', 'create', '--user', 'root', '--scopes', 'read,admin'], { env });
    expect(key.code).toBe(0);
    expect(key.stdout.trim()).toMatch(/^hth_[0-9A-Za-z]{49}$/);
    const bad = await runHearth(['keys', 'create', '--user', 'root', '--scopes', 'root'], { env });
    expect(bad.code).not.toBe(0);
  }, 180_000);

  it('hearth start prints a one-time setup link in the fragment while no owner exists', async () => {
    const dir = tempDir();
    const proc = await startHearthProcess({ cwd: dir, env: { HEARTH_DATA_DIR: dir, HEARTH_SERVE_WEB: 'false', HEARTH_LOG_LEVEL: 'warn' } });
    children.push({ kill: () => proc.child.kill('SIGTERM') });
    for (let i = 0; i < 50 && !/#token=/.test(proc.output()); i++) await new Promise((r) => setTimeout(r, 100));
    const token = /#token=([A-Za-z0-9_-]{43})/.exec(proc.output())?.[1];
    expect(token).toBeDefined();
    const res = await fetch(`${proc.url}/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, name: 'first', password: STRONG }),
    });
    expect(res.status).toBe(201);
    const again = await fetch(`${proc.url}/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, name: 'second', password: STRONG }),
    });
    expect(again.status).toBeGreaterThanOrEqual(401);
  }, 120_000);
});
