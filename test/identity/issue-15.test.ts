import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { STRONG, userWithKey } from './helpers.js';

/** Common 12-character passwords built the way people build them: a word, a capital, digits, a symbol, l33t letters. */
const COMMON_TWELVE = [
  'P@ssw0rd1234',
  'Welcome12345',
  'Password1234',
  'Qwerty123456',
  'Summer2024!!',
  'Winter2025!!',
  'Admin@123456',
  'Letmein12345',
  'Football1234',
  'iloveyou1234',
  'Welcome@2024',
  'Changeme1234',
  'Passw0rd!234',
  'Trustno1trustno1',
  'Sunshine1234',
  'Princess1234',
  'Monkey123456',
  'Dragon123456',
  'Baseball1234',
  'Superman1234',
  'Master123456',
  'Michael12345',
  'Shadow123456',
  'January2024!',
  'Company2024!',
  '1q2w3e4r5t6y',
  'zxcvbnm12345',
  'abc123abc123',
  'Hearth12345!',
];

const GOOD = ['tangerine orbit velvet 93', 'quiet river lantern 2026', 'k8#Lp2!qZr9w', 'Gl4cier-Mango-Lantern'];

describe('#15 passwords: strength judged by an estimator and a breached-password list (AUTH-1)', () => {
  let t: TestHearth;
  afterEach(async () => t?.close());

  it('#15 passwords: common 12-character passwords are refused with a clear message; good passphrases are accepted', async () => {
    t = await startTestHearth();
    const admin = await userWithKey(t, 'adminx', 'admin', ['admin', 'read', 'write']);
    for (const [i, password] of COMMON_TWELVE.entries()) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: { 'x-api-key': admin.key },
        payload: { name: `weak${i}`, password, role: 'member' },
      });
      expect(res.statusCode, password).toBe(400);
      const body = res.json() as { code: string; error: string; details: { field: string; reason: string } };
      expect(body.code).toBe('VALIDATION_FAILED');
      expect(body.details).toEqual({ field: 'password', reason: 'guessable' });
      expect(body.error).toMatch(/^Password is too easy to guess/);
      expect(body.error).not.toContain(password);
    }
    expect((await t.hearth.identity.listUsers()).map((u) => u.name)).toEqual(['adminx']);
    for (const [i, password] of GOOD.entries()) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/users',
        headers: { 'x-api-key': admin.key },
        payload: { name: `good${i}`, password, role: 'member' },
      });
      expect(res.statusCode, password).toBe(201);
    }
  });

  it('#15 passwords: the name, the product name and short lengths are refused with their own reason', async () => {
    t = await startTestHearth();
    const refused = async (name: string, password: string) => {
      const err = (await t.hearth.identity.createUser({ name, password, role: 'member' }).catch((e: unknown) => e)) as {
        code: string;
        details: { reason: string };
      };
      expect(err.code).toBe('VALIDATION_FAILED');
      return err.details.reason;
    };
    expect(await refused('rosalind', 'short')).toBe('too_short');
    expect(await refused('rosalind', 'x'.repeat(257))).toBe('too_long');
    expect(await refused('rosalind', 'i am rosalind and proud')).toBe('matches_name');
    expect(await refused('rosalind', 'hearthhearth1')).toBe('guessable');
    expect(await refused('rosalind', 'aaaaaaaaaaaaaaaa')).toBe('guessable');
    expect(await t.hearth.identity.findUserByName('rosalind')).toBeUndefined();
  });

  it('#15 passwords: the dictionaries load with the first password judged, not when the policy is built (issue #17)', () => {
    const script = [
      "import { createRequire } from 'node:module';",
      "const { createPasswordPolicy } = await import('./src/security/passwords/index.ts');",
      'const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes("@zxcvbn-ts"));',
      'const policy = createPasswordPolicy();',
      'const before = loaded();',
      "const verdict = policy.check('Welcome12345');",
      'console.log(JSON.stringify({ before, after: loaded(), problem: verdict?.problem }));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim())).toEqual({ before: false, after: true, problem: 'guessable' });
  });
});

describe('#15 invites: accepting an invite does not tell existing names from unknown ones', () => {
  let t: TestHearth;
  afterEach(async () => t?.close());

  const accept = (token: string, name: string, password = STRONG) =>
    t.app.inject({ method: 'POST', url: '/api/users/invites/accept', payload: { token, name, password } });

  it('#15 invites: with a bogus token an existing and an unknown name get the same status and body', async () => {
    t = await startTestHearth();
    await userWithKey(t, 'olivia', 'owner', ['admin', 'read', 'write']);
    const bogus = 'A'.repeat(43);
    const existing = await accept(bogus, 'olivia');
    const unknown = await accept(bogus, 'nobody-here');
    expect(existing.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (body: string) => {
      const { requestId: _, ...rest } = JSON.parse(body) as Record<string, unknown>;
      return rest;
    };
    expect(strip(existing.body)).toEqual(strip(unknown.body));
    // A weak password does not make a difference either: the token is checked first.
    expect((await accept(bogus, 'olivia', 'password1234')).statusCode).toBe(401);
    expect((await accept(bogus, 'nobody-here', 'password1234')).statusCode).toBe(401);
  });

  it('#15 invites: with a valid invite, a bad or taken name or a weak password is refused without spending the invite', async () => {
    t = await startTestHearth();
    const owner = await userWithKey(t, 'olivia', 'owner', ['admin', 'read', 'write']);
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/users/invites',
      headers: { 'x-api-key': owner.key },
      payload: { role: 'member' },
    });
    const { token } = made.json() as { token: string };
    expect((await accept(token, 'olivia')).statusCode).toBe(409);
    expect((await accept(token, 'newbie', 'Welcome12345')).statusCode).toBe(400);
    expect((await accept(token, 'Not A Name!')).statusCode).toBe(400);
    const ok = await accept(token, 'newbie');
    expect(ok.statusCode).toBe(201);
    expect((await accept(token, 'newbie2')).statusCode).toBe(401);
  });
});
