import type { TestHearth } from '../support/hearth.js';

export const STRONG = 'correct horse battery staple 42';

/** Creates a user and an API key through the real identity service. */
export async function userWithKey(
  t: TestHearth,
  name: string,
  role: 'owner' | 'admin' | 'member',
  scopes: Array<'read' | 'write' | 'chat' | 'admin'>,
) {
  const user = await t.hearth.identity.createUser({ name, password: STRONG, role });
  const { key, id } = await t.hearth.identity.createApiKey({ userId: user.id, scopes });
  return { user, key, keyId: id };
}

/** Logs in over HTTP and returns the cookie header and CSRF token. */
export async function loginCookie(t: TestHearth, name: string, password = STRONG) {
  const res = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { name, password } });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const setCookie = String(res.headers['set-cookie']);
  const token = /__Host-hearth=([^;]+)/.exec(setCookie)![1]!;
  return { cookie: `__Host-hearth=${token}`, csrf: (res.json() as { csrfToken: string }).csrfToken, setCookie, token };
}
