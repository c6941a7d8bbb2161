import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userWithKey } from '../identity/helpers.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

/**
 * The shell commands a person's turns asked to run are that person's data (DATA-5, EXEC-1): in
 * their export, gone with their erasure, never in anyone else's export.
 */
describe.each(DATABASE_KINDS)('shell approval requests as personal data on %s (DATA-5)', (db) => {
  let t: TestHearth;
  let owner: Awaited<ReturnType<typeof userWithKey>>;
  let mia: Awaited<ReturnType<typeof userWithKey>>;
  let sam: Awaited<ReturnType<typeof userWithKey>>;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    t = await startTestHearth({ db });
    owner = await userWithKey(t, 'olivia', 'owner', ['read', 'write', 'admin']);
    mia = await userWithKey(t, 'mia', 'member', ['read', 'write']);
    sam = await userWithKey(t, 'sam', 'member', ['read', 'write']);
  });
  afterAll(async () => t.close());

  /** An approval request as the shell tool stores it for a turn of `userId`. */
  async function asked(userId: string, command: string, status = 'denied') {
    const now = Date.now();
    await t.hearth.storage.db
      .withTables<{ shell_approvals: Record<string, unknown> }>()
      .insertInto('shell_approvals')
      .values({
        id: randomUUID(),
        nonce: randomUUID(),
        deny_nonce: randomUUID(),
        familiar_id: 'f1',
        user_id: userId,
        conversation_id: 'c1',
        request_id: null,
        command,
        command_hash: 'h',
        reasons: '[]',
        status,
        created_at: now,
        expires_at: now + 30_000,
        alive_at: now,
        decided_at: status === 'pending' ? null : now,
        decided_by: status === 'pending' ? null : `user:${owner.user.id}`,
        offered: 0,
      })
      .execute();
  }

  it("a person's export holds the commands their turns asked for, and nobody else's; erasure removes them", async () => {
    await asked(mia.user.id, 'cat ~/diary-of-mia.txt');
    await asked(mia.user.id, 'rm -rf ./mia-drafts', 'pending');
    await asked(sam.user.id, 'ls ~/sams-secret-folder');

    const exported = await t.app.inject({ url: `/api/users/${mia.user.id}/export`, headers: as(owner.key) });
    expect(exported.statusCode).toBe(200);
    const text = exported.body;
    expect(text).toContain('cat ~/diary-of-mia.txt');
    expect(text).toContain('rm -rf ./mia-drafts');
    expect(text).not.toContain('sams-secret-folder');
    // Who decided is another person: not in hers.
    expect(text).not.toContain(owner.user.id);

    const erased = await t.app.inject({ method: 'DELETE', url: `/api/users/${mia.user.id}`, headers: as(owner.key) });
    expect(erased.statusCode).toBeLessThan(300);
    const left = await t.hearth.storage.db
      .withTables<{ shell_approvals: { user_id: string; command: string } }>()
      .selectFrom('shell_approvals')
      .select(['user_id', 'command'])
      .execute();
    expect(left.map((r) => r.command)).toEqual(['ls ~/sams-secret-folder']);
  });
});
