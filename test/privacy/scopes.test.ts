import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role, Scope } from '../../src/core/index.js';
import { csrfTokenFor } from '../../src/security/csrf/index.js';
import { STRONG } from '../identity/helpers.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

/**
 * Issue #15.3: scopes stop at the data, not only at the principal. Every role × credential ×
 * target, for export and erasure, against the rule documented in docs/privacy.md.
 */
type Cred = 'session' | readonly Scope[];
type Target = 'self' | 'member' | 'admin' | 'owner' | 'channel';
type Op = 'export' | 'erase';

const ROLES: readonly Role[] = ['member', 'admin', 'owner'];
const TARGETS: readonly Target[] = ['self', 'member', 'admin', 'owner', 'channel'];
const credsFor = (role: Role): Cred[] => [
  'session',
  ['read'],
  ['write'],
  ['chat'],
  ...(role === 'member' ? [] : ([['admin'], ['read', 'admin'], ['write', 'admin']] as Cred[])),
];
const credName = (c: Cred) => (c === 'session' ? 'session' : `key[${c.join('+')}]`);

/** The documented rule (docs/privacy.md, "Who may export and erase whom"). */
function expected(op: Op, role: Role, cred: Cred, target: Target): number {
  const has = (s: Scope) => cred === 'session' || cred.includes(s);
  if (!has(op === 'export' ? 'read' : 'write')) return 403; // the route's own scope
  if (target === 'self') return op === 'erase' && role === 'owner' ? 409 : 200;
  if (role !== 'owner') return 404;
  if (!has('admin')) return 403;
  if (op === 'export') return 200;
  if (target === 'owner') return 409;
  if (target === 'admin' && cred !== 'session') return 403;
  return 200;
}

describe('privacy routes: the scope matrix (issue #15.3, DATA-5, AUTH-7)', () => {
  let t: TestHearth;
  let n = 0;
  beforeAll(async () => {
    t = await startTestHearth({ env: { HEARTH_RATE_USER_WRITES: '100000', HEARTH_RATE_USER_READS: '100000' } });
  });
  afterAll(async () => t.close());

  const person = async (role: Role) => (await t.hearth.identity.createUser({ name: `p${++n}-${role}`, password: STRONG, role })).id;
  const channelPerson = async () => {
    const id = `person_${randomUUID()}`;
    await t.hearth.channels.identities.link({
      channel: 'telegram',
      externalId: String(9_000_000 + ++n),
      userId: id,
      displayName: `viewer${n}`,
    });
    return id;
  };
  const headersFor = async (userId: string, cred: Cred): Promise<Record<string, string>> => {
    if (cred === 'session') {
      const { token } = await t.hearth.identity.createSession(userId);
      return { cookie: `__Host-hearth=${token}`, 'x-csrf-token': csrfTokenFor(token), origin: 'http://localhost:80', host: 'localhost:80' };
    }
    return { authorization: `Bearer ${(await t.hearth.identity.createApiKey({ userId, scopes: cred })).key}` };
  };
  const call = async (op: Op, id: string, headers: Record<string, string>) =>
    (
      await t.app.inject(
        op === 'export' ? { url: `/api/users/${id}/export`, headers } : { method: 'DELETE', url: `/api/users/${id}`, headers },
      )
    ).statusCode;
  const exists = async (id: string) =>
    (await t.hearth.identity.findUserById(id)) !== undefined || (await t.hearth.channels.identities.list({ userId: id })).length > 0;

  it('#15.3 scopes: exporting another person needs the owner with the admin scope; oneself needs read', async () => {
    const principals = { member: await person('member'), admin: await person('admin'), owner: await person('owner') };
    const targets = {
      member: await person('member'),
      admin: await person('admin'),
      owner: await person('owner'),
      channel: await channelPerson(),
    };
    const rows: string[] = [];
    const want: string[] = [];
    for (const role of ROLES)
      for (const cred of credsFor(role)) {
        const headers = await headersFor(principals[role], cred);
        for (const target of TARGETS) {
          const id = target === 'self' ? principals[role] : targets[target];
          const cell = `${role} ${credName(cred)} → ${target}`;
          rows.push(`${cell}: ${await call('export', id, headers)}`);
          want.push(`${cell}: ${expected('export', role, cred, target)}`);
        }
      }
    expect(rows).toEqual(want);
  });

  it('#15.3 scopes: erasing another person needs the admin scope, an admin needs the owner session, an owner never', async () => {
    const owner = await person('owner');
    const rows: string[] = [];
    const want: string[] = [];
    for (const role of ROLES)
      for (const cred of credsFor(role))
        for (const target of TARGETS) {
          // A fresh principal and target per cell: an erasure that wrongly succeeds must not hide the next cell.
          const principal = role === 'owner' && target !== 'self' ? owner : await person(role);
          const id =
            target === 'self'
              ? principal
              : target === 'channel'
                ? await channelPerson()
                : await person(target === 'owner' ? 'owner' : target);
          const status = await call('erase', id, await headersFor(principal, cred));
          const cell = `${role} ${credName(cred)} → ${target}`;
          rows.push(`${cell}: ${status} ${(await exists(id)) ? 'kept' : 'erased'}`);
          const code = expected('erase', role, cred, target);
          want.push(`${cell}: ${code} ${code === 200 ? 'erased' : 'kept'}`);
        }
    expect(rows).toEqual(want);
  });
});
