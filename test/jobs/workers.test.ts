import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runHearth, startHearthProcess } from '../support/cli.js';
import { PG_URL, tempDir } from '../support/databases.js';

const SERVICE_KEY = 'svc-key-for-the-workers-test-0123456789abcdef';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** GET over a fresh connection each time, so the port's round robin picks a worker per request. */
function health(url: string): Promise<{ status: string; detail?: { replica: string; pid: number } }> {
  return new Promise((resolve, reject) => {
    get(`${url}/api/health`, { agent: false, headers: { 'x-api-key': SERVICE_KEY } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(JSON.parse(body) as never));
    }).on('error', reject);
  });
}

describe('HEARTH_WORKERS: N processes on one machine', () => {
  it('refuses more than one worker on SQLite, naming PostgreSQL, before opening anything', async () => {
    const cwd = tempDir();
    dirs.push(cwd);
    const res = await runHearth(['start'], { cwd, env: { HEARTH_DATA_DIR: cwd, HEARTH_WORKERS: '2' } });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/HEARTH_WORKERS=2 needs PostgreSQL/);
    expect(res.stdout).not.toMatch(/listening/);
  });

  it('runs N workers sharing the port on PostgreSQL; each names its replica in health detail and log lines', async () => {
    // A database of its own: the CLI uses the database's default schema.
    const database = `hearth_workers_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const cwd = tempDir();
    dirs.push(cwd);
    const url = new URL(PG_URL);
    url.pathname = `/${database}`;
    const env = {
      HEARTH_DATA_DIR: cwd,
      HEARTH_DATABASE_URL: url.toString(),
      HEARTH_WORKERS: '2',
      HEARTH_REPLICA_ID: 'box1',
      HEARTH_SERVICE_KEY: SERVICE_KEY,
      HEARTH_LOG_FORMAT: 'json',
    };
    const { child, url: base, output } = await startHearthProcess({ cwd, env });
    try {
      const seen = new Map<string, number>();
      while (seen.size < 2) {
        const h = await health(base);
        expect(h.status).toBe('ok');
        seen.set(h.detail!.replica, h.detail!.pid);
      }
      expect([...seen.keys()].sort()).toEqual(['box1-w1', 'box1-w2']);
      expect(new Set(seen.values()).size).toBe(2);
      // Without the service key, no detail.
      const anonymous = await fetch(`${base}/api/health`);
      expect(await anonymous.json()).toEqual({ status: 'ok' });
      const lines = output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { replica?: string });
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((l) => l.replica === 'box1-w1' || l.replica === 'box1-w2')).toBe(true);
    } finally {
      child.removeAllListeners('exit');
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
      await admin.end();
    }
  });
});
