import { afterAll, describe, expect, it } from 'vitest';
import { runHearth, startHearthProcess } from '../support/cli.js';
import { tempDir } from '../support/databases.js';
import { startTestHearth } from '../support/hearth.js';

const STRONG = 'correct horse battery staple 42';
const NEXT = 'a different long passphrase 88';

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** The audit entries of a data directory, read after the processes using it have stopped. */
async function auditOf(dir: string) {
  const t = await startTestHearth({ dataDir: dir });
  try {
    // Through the audit service: entries about a person keep their target and details sealed at rest (issue #15).
    const entries = await t.hearth.audit.list({ limit: 500 });
    return entries.reverse().map((e) => ({ seq: e.seq, action: e.action, outcome: e.outcome, target: e.target, details: e.details }));
  } finally {
    await t.close();
  }
}

describe('hearth setup-link and hearth users passwd (issue #17, AUTH-1)', () => {
  const children: Array<{ kill: () => void }> = [];
  afterAll(() => {
    for (const c of children) c.kill();
  });

  it('setup-link prints a new one-time link while the server runs on the same database; once an owner exists it fails clearly; audited', async () => {
    const dir = tempDir();
    const env = { HEARTH_DATA_DIR: dir, HEARTH_SERVE_WEB: 'false' };
    const proc = await startHearthProcess({ cwd: dir, env: { ...env, HEARTH_LOG_LEVEL: 'warn' } });
    const stop = () => proc.child.kill('SIGTERM');
    children.push({ kill: stop });
    try {
      const printed = await runHearth(['setup-link'], { cwd: dir, env: { ...env, HEARTH_PORT: new URL(proc.url).port } });
      expect(printed.code).toBe(0);
      expect(printed.stdout).toMatch(
        new RegExp(`^No owner yet\\. Create one within 1 hour: ${proc.url}/setup#token=[A-Za-z0-9_-]{43}\\n$`),
      );
      const token = /#token=([A-Za-z0-9_-]{43})/.exec(printed.stdout)![1]!;
      // Without a known port (0 means "any"), it prints the path to open on the server's address.
      const pathOnly = await runHearth(['setup-link'], { cwd: dir, env: { ...env, HEARTH_PORT: '0' } });
      expect(pathOnly.stdout).toMatch(/^No owner yet\. Create one within 1 hour: \/setup#token=[A-Za-z0-9_-]{43}\n/);

      const created = await postJson(`${proc.url}/api/setup`, { token, name: 'first', password: STRONG });
      expect(created.status).toBe(201);
      // The running server's own link is withdrawn with every other one once an owner exists.
      const again = await runHearth(['setup-link'], { cwd: dir, env });
      expect(again.code).toBe(1);
      expect(again.stdout).toBe('');
      // One line of explanation (besides the development key-file warning every command logs).
      expect(again.stderr.trim().split('\n').at(-1)).toBe(
        'hearth setup-link: setup is complete: an owner exists. Sign in, or set a password with `hearth users passwd NAME`',
      );
    } finally {
      const exited = new Promise((r) => proc.child.once('exit', r));
      stop();
      await exited;
    }
    const audit = await auditOf(dir);
    const links = audit.filter((a) => a.action === 'setup.token');
    expect(links.map((a) => a.details?.via)).toEqual(['start', 'cli', 'cli']);
    expect(audit.some((a) => a.action === 'setup.complete')).toBe(true);
  }, 180_000);

  it('users passwd reads one piped line, applies the password policy, signs the person out everywhere, never prints the password; audited', async () => {
    const dir = tempDir();
    const env = { HEARTH_DATA_DIR: dir, HEARTH_SERVE_WEB: 'false' };
    expect((await runHearth(['users', 'add', 'vic', '--role', 'member'], { env, stdin: `${STRONG}\n` })).code).toBe(0);
    const proc = await startHearthProcess({ cwd: dir, env: { ...env, HEARTH_LOG_LEVEL: 'warn' } });
    const stop = () => proc.child.kill('SIGTERM');
    children.push({ kill: stop });
    try {
      const login = await postJson(`${proc.url}/api/auth/login`, { name: 'vic', password: STRONG });
      expect(login.status).toBe(200);
      const cookie = /__Host-hearth=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
      const sessions = () => fetch(`${proc.url}/api/auth/sessions`, { headers: { cookie } });
      expect((await sessions()).status).toBe(200);

      const weak = await runHearth(['users', 'passwd', 'vic'], { env, stdin: 'password1234\n' });
      expect(weak.code).toBe(1);
      expect(weak.stderr).toContain('too easy to guess');
      expect((await sessions()).status).toBe(200);
      const unknown = await runHearth(['users', 'passwd', 'nobody'], { env, stdin: `${NEXT}\n` });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no user named nobody');
      const empty = await runHearth(['users', 'passwd', 'vic'], { env, stdin: '' });
      expect(empty.code).toBe(2);
      expect((await runHearth(['users', 'passwd'], { env })).code).toBe(2);

      // Only the first line counts; the server is running meanwhile.
      const ok = await runHearth(['users', 'passwd', 'vic'], { env, stdin: `${NEXT}\nignored second line\n` });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toBe('password changed for vic; 1 session(s) signed out\n');
      for (const r of [weak, unknown, ok]) expect(r.stdout + r.stderr).not.toContain(NEXT);
      expect((await sessions()).status).toBe(401);
      expect((await postJson(`${proc.url}/api/auth/login`, { name: 'vic', password: STRONG })).status).toBe(401);
      expect((await postJson(`${proc.url}/api/auth/login`, { name: 'vic', password: NEXT })).status).toBe(200);
      expect(proc.output()).not.toContain(NEXT);
    } finally {
      const exited = new Promise((r) => proc.child.once('exit', r));
      stop();
      await exited;
    }
    const audit = await auditOf(dir);
    const changes = audit.filter((a) => a.action === 'user.password');
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ outcome: 'success', details: { via: 'cli', sessionsRevoked: 1 } });
    expect(JSON.stringify(audit)).not.toContain(NEXT);
  }, 180_000);
});
