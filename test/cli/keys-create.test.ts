import { afterEach, describe, expect, it } from 'vitest';
import { migrationsFor } from '../../src/app/hearth.js';
import { identityPlugin } from '../../src/identity/index.js';
import { runHearth, startHearthProcess } from '../support/cli.js';
import { tempDir } from '../support/databases.js';

const STRONG = 'correct horse battery staple 42';

/** `hearth migrate status` as name → 'applied' | 'pending'. */
async function migrationState(env: Record<string, string>): Promise<Map<string, string>> {
  const res = await runHearth(['migrate', 'status'], { env });
  expect(res.code).toBe(0);
  return new Map(
    res.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string])
      .map(([state, name]) => [name, state]),
  );
}

// `hearth keys create` opens Hearth with the identity plugin alone once the database is migrated
// (src/cli/io.ts, withHearth `only`); these check it never works on a database it cannot migrate.
describe('hearth keys create opens only people and keys, on a migrated database (issue #17, AUTH-5)', () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  it('on a new data directory it opens the whole Hearth, which applies every migration, then says there is no such person', async () => {
    const dir = tempDir();
    const env = { HEARTH_DATA_DIR: dir, HEARTH_LOG_LEVEL: 'error' };
    const res = await runHearth(['keys', 'create', '--user', 'nobody', '--scopes', 'read'], { env });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('no user named nobody');
    const state = await migrationState(env);
    expect(state.size).toBeGreaterThan(0);
    expect([...state].filter(([, s]) => s !== 'applied')).toEqual([]);
  });

  it("with another concern's migration pending it prints a working key and leaves that migration to the next start", async () => {
    const dir = tempDir();
    const env = { HEARTH_DATA_DIR: dir, HEARTH_LOG_LEVEL: 'error', HEARTH_SERVE_WEB: 'false' };
    expect((await runHearth(['users', 'add', 'kim', '--role', 'member'], { env, stdin: `${STRONG}\n` })).code).toBe(0);
    const down = await runHearth(['migrate', 'down', '--yes'], { env });
    const rolledBack = /rolled back: (\S+)/.exec(down.stdout)?.[1];
    expect(rolledBack).toBeDefined();
    // the premise: the newest migration is not the kernel's or identity's own
    expect(migrationsFor([identityPlugin]).map((m) => m.name)).not.toContain(rolledBack);

    const created = await runHearth(['keys', 'create', '--user', 'kim', '--scopes', 'read'], { env });
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^hth_[0-9A-Za-z]{49}$/);
    expect((await migrationState(env)).get(rolledBack!)).toBe('pending');

    // the next start applies it, and the key signs kim in
    const proc = await startHearthProcess({ cwd: dir, env });
    stops.push(async () => {
      const exited = new Promise((r) => proc.child.once('exit', r));
      proc.child.kill('SIGTERM');
      await exited;
    });
    const res = await fetch(`${proc.url}/api/keys`, { headers: { 'x-api-key': key } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { keys: unknown[] }).keys).toHaveLength(1);
    expect(
      (await fetch(`${proc.url}/api/keys`, { headers: { 'x-api-key': `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}` } })).status,
    ).toBe(401);
  });
});
